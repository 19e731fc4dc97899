"""The package's care for an enrolled enterprise: annual check-ups and service records."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, BodyKwarg, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.controllers.key_enterprise_schemas import (
    SEEING,
    SERVING,
    CheckupIn,
    CompletionIn,
    ReportUpload,
    ServiceRecordIn,
    Uscc,
    Year,
)
from govservice.api.problems import problems
from govservice.api.security import SECURED, current_actor, requires
from govservice.services.key_enterprises import (
    CareService,
)
from govservice.services.key_enterprises.care import CheckupView, RecordKind, ServiceRecordView


class KeyEnterpriseCareController(Controller):
    """Check-ups with their reports, and the plan and training records, of an enrolled enterprise."""

    path = "/api/v1/key-enterprises"
    tags = ["key enterprises"]
    security = SECURED

    @post(
        "/{uscc:str}/checkups",
        operation_id="scheduleCheckup",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Schedule the year's fire-safety check-up (one a year)",
        guards=[requires(*SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def schedule_checkup(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        data: Annotated[
            CheckupIn,
            BodyKwarg(
                examples=[
                    Example(summary="the 2026 check-up", value={"year": 2026, "scheduledOn": "2026-04-15"})
                ]
            ),
        ],
    ) -> CheckupView:
        return await key_care.schedule_checkup(
            current_actor(request), uscc, year=data.year, scheduled_on=data.scheduled_on
        )

    @get(
        "/{uscc:str}/checkups",
        operation_id="listCheckups",
        security=SECURED,
        summary="The enterprise's check-ups: schedule, findings, report",
        guards=[requires(*SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def list_checkups(
        self, request: Request[Any, Any, Any], key_care: NamedDependency[CareService], uscc: Uscc
    ) -> list[CheckupView]:
        return await key_care.checkups(current_actor(request), uscc)

    @post(
        "/{uscc:str}/checkups/{year:int}/report",
        operation_id="fileCheckupReport",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="File the check-up report (PDF, multipart)",
        guards=[requires(*SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def file_report(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        year: Year,
        data: Annotated[
            ReportUpload,
            Body(
                media_type=RequestEncodingType.MULTI_PART,
                examples=[Example(summary="the report", value={"file": "(binary PDF)"})],
            ),
        ],
    ) -> CheckupView:
        return await key_care.file_report(
            current_actor(request),
            uscc,
            year,
            filename=data.file.filename or "report.pdf",
            content=await data.file.read(),
        )

    @get(
        "/{uscc:str}/checkups/{year:int}/report",
        operation_id="getCheckupReport",
        security=SECURED,
        summary="Download the check-up report",
        guards=[requires(*SEEING)],
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/pdf",
                description="the report as filed",
                generate_examples=False,
            ),
            **problems(400, 401, 403, 404),
        },
    )
    async def report(
        self, request: Request[Any, Any, Any], key_care: NamedDependency[CareService], uscc: Uscc, year: Year
    ) -> Response[bytes]:
        content, filename = await key_care.report(current_actor(request), uscc, year)
        return Response(
            content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="checkup-{uscc}-{year}.pdf"'},
        )

    @post(
        "/{uscc:str}/checkups/{year:int}/completion",
        operation_id="completeCheckup",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Complete the check-up with its findings (the report is filed first)",
        guards=[requires(*SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def complete(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        year: Year,
        data: Annotated[
            CompletionIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="two findings",
                        value={
                            "completedOn": "2026-04-15",
                            "findings": [
                                {
                                    "item": "疏散通道",
                                    "severity": "hazard",
                                    "description": "二层东侧通道堆放纸箱",
                                    "rectifyBy": "2026-04-22",
                                },
                                {"item": "培训", "severity": "advice", "description": "新员工未参加消防培训"},
                            ],
                        },
                    )
                ]
            ),
        ],
    ) -> CheckupView:
        return await key_care.complete_checkup(
            current_actor(request), uscc, year, completed_on=data.completed_on, findings=list(data.findings)
        )

    @post(
        "/{uscc:str}/service-records",
        operation_id="addServiceRecord",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Record the customised compliance plan or a training session held under it",
        guards=[requires(*SERVING)],
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def add_record(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        data: Annotated[
            ServiceRecordIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="a training session",
                        value={
                            "kind": "training",
                            "title": "锂电池仓储消防培训",
                            "heldOn": "2026-03-20",
                            "summary": "讲解锂电池热失控处置与疏散",
                            "attendees": 42,
                        },
                    )
                ]
            ),
        ],
    ) -> ServiceRecordView:
        return await key_care.add_record(
            current_actor(request),
            uscc,
            kind=data.kind,
            title=data.title,
            held_on=data.held_on,
            summary=data.summary,
            attendees=data.attendees,
        )

    @get(
        "/{uscc:str}/service-records",
        operation_id="listServiceRecords",
        security=SECURED,
        summary="The enterprise's compliance plan and training sessions",
        guards=[requires(*SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def list_records(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        kind: Annotated[RecordKind | None, QueryParameter()] = None,
    ) -> list[ServiceRecordView]:
        return await key_care.records(current_actor(request), uscc, kind)
