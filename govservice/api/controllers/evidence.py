"""Evidence files of an inspection: photos and documents added by its officers (staff read them)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, PathParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.problems import problems
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.enforcement.evidence import EvidenceService, EvidenceView

InspectionId = Annotated[int, PathParameter(ge=1, le=2**53)]
EvidenceId = Annotated[int, PathParameter(ge=1, le=2**53)]
_STAFF = (Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL, Role.ADMIN)


class EvidenceUpload(msgspec.Struct):
    file: UploadFile
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class EvidenceController(Controller):
    path = "/api/v1/inspections/{inspection_id:int}/evidence"
    tags = ["enforcement"]
    security = SECURED

    @post(
        "/",
        operation_id="addEvidence",
        summary="Attach a photo (JPG/PNG) or document (PDF) to an inspection (its officers only)",
        guards=[requires(Role.INSPECTOR)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def add(
        self,
        request: Request[Any, Any, Any],
        evidence: NamedDependency[EvidenceService],
        inspection_id: InspectionId,
        data: Annotated[
            EvidenceUpload,
            Body(
                media_type=RequestEncodingType.MULTI_PART,
                examples=[
                    Example(
                        summary="a photo of the blocked exit",
                        value={"file": "(binary JPG)", "note": "二层东侧安全出口"},
                    )
                ],
            ),
        ],
    ) -> EvidenceView:
        note = data.note[:2000] if data.note else None
        return await evidence.add(
            current_actor(request),
            inspection_id,
            filename=data.file.filename or "evidence",
            content=await data.file.read(),
            note=note,
        )

    @get(
        "/",
        operation_id="listEvidence",
        summary="The evidence files of an inspection, with their SHA-256",
        guards=[requires(*_STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def list_evidence(
        self,
        request: Request[Any, Any, Any],
        evidence: NamedDependency[EvidenceService],
        inspection_id: InspectionId,
    ) -> list[EvidenceView]:
        return await evidence.list(current_actor(request), inspection_id)

    @get(
        "/{evidence_id:int}",
        operation_id="getEvidenceFile",
        summary="Download one evidence file",
        guards=[requires(*_STAFF)],
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/octet-stream",
                description="the file as stored",
                generate_examples=False,
            ),
            **problems(400, 401, 403, 404),
        },
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        evidence: NamedDependency[EvidenceService],
        inspection_id: InspectionId,
        evidence_id: EvidenceId,
    ) -> Response[bytes]:
        content, media_type = await evidence.content(current_actor(request), inspection_id, evidence_id)
        return Response(content, media_type=media_type)
