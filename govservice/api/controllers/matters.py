"""The matter catalogue: public service guides, and the admin's publications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, FromQuery, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.pages import SKIP_COMPRESSION, EncodedPages
from govservice.api.problems import problems
from govservice.api.schemas import Page, Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.catalogue import (
    MatterGuide,
    MatterKind,
    MatterStatus,
    Replacement,
    StatusChange,
    Text,
)
from govservice.services.catalogue import CatalogueService, PublishedMatter
from govservice.services.cursors import decode_code_cursor

MatterCode = Annotated[
    str,
    PathParameter(max_length=64, examples=[Example(value="FR-PGP-OPENING")]),
]


class MatterOut(MatterGuide, frozen=True, kw_only=True):
    """A published version of a matter's service guide."""

    version: int
    published_at: datetime
    content_hash: str


class MatterVersion(Schema):
    version: int
    status: MatterStatus
    published_at: datetime
    content_hash: str
    note: str | None = None


class StatusChangeIn(Schema):
    """Cancel or adjust a matter; the replacement tells applicants what to use instead."""

    status: Annotated[MatterStatus, msgspec.Meta(description="cancelled or adjusted")]
    effective: Annotated[date, msgspec.Meta(description="the day the change takes effect")]
    reason: Text
    legal_basis: Text
    replacement: (
        Annotated[
            Replacement,
            msgspec.Meta(
                description="not the matter itself; a matterCode named must be in the catalogue (else 422)"
            ),
        ]
        | None
    ) = None


def matter_out(matter: PublishedMatter) -> MatterOut:
    return MatterOut(
        **msgspec.structs.asdict(matter.guide),
        version=matter.version,
        published_at=matter.published_at,
        content_hash=matter.content_hash,
    )


_PAGES: EncodedPages[Page[MatterOut]] = EncodedPages()


def _cursor_after(items: list[PublishedMatter], cursor: str | None) -> list[PublishedMatter]:
    return [m for m in items if m.guide.code > cursor] if cursor else items


_EXAMPLE_GUIDE: dict[str, Any] = {
    "code": "FR-EXAMPLE",
    "name": "示例事项",
    "nameEn": "Example matter",
    "kind": "service",
    "unit": "FR-WINDOW",
    "legalBasis": ["《中华人民共和国消防法》"],
    "statutoryLimit": 20,
    "promisedLimit": 10,
    "maxVisits": 0,
    "routes": ["standard"],
    "processes": {"standard": "service"},
    "materials": [{"code": "application_form", "name": "申请表", "kind": "key", "formats": ["pdf"]}],
}


_EXAMPLE_STATUS_CHANGE: dict[str, Any] = {
    "status": "cancelled",
    "effective": "2026-12-01",
    "reason": "the qualification is abolished; the activity is now a commitment filing",
    "legalBasis": "《国务院关于深化“证照分离”改革进一步激发市场主体发展活力的通知》",
    "replacement": {"description": "file a commitment instead", "matterCode": "FR-EXAMPLE"},
}


class MatterController(Controller):
    path = "/api/v1/matters"
    tags = ["catalogue"]

    @get(
        "/",
        operation_id="listMatters",
        summary="List the catalogue (current version of every matter)",
        description="Public. Filters: status, unit, kind. Cancelled and adjusted matters stay listed with "
        "their reason and replacement, so the catalogue's history is visible.",
        responses={
            304: ResponseSpec(None, description="Not Modified: the ETag sent in If-None-Match is current"),
            **problems(400),
        },
        opt={SKIP_COMPRESSION: True},
    )
    async def list_matters(
        self,
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        status: FromQuery[MatterStatus | None] = None,
        unit: Annotated[str | None, QueryParameter(max_length=64)] = None,
        kind: FromQuery[MatterKind | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Response[Page[MatterOut]]:
        if cursor is not None:
            decode_code_cursor(cursor)  # a matter code, or the 400 every list gives for a foreign cursor
        current = await catalogue.current()

        def build() -> Page[MatterOut]:
            matters = _cursor_after(current, cursor)
            if status is not None:
                matters = [m for m in matters if m.guide.status is status]
            if unit is not None:
                matters = [m for m in matters if m.guide.unit == unit]
            if kind is not None:
                matters = [m for m in matters if m.guide.kind is kind]
            page = matters[:limit]
            next_cursor = page[-1].guide.code if len(matters) > limit else None
            return Page(items=[matter_out(m) for m in page], next_cursor=next_cursor)

        page = _PAGES.get(current, (status, unit, kind, limit, cursor), build)
        return page.response(request, cache_control="public, max-age=5")

    @get(
        "/{code:str}",
        operation_id="getMatter",
        summary="Read one matter's current service guide",
        responses=problems(400, 404),
    )
    async def get_matter(self, catalogue: NamedDependency[CatalogueService], code: MatterCode) -> MatterOut:
        return matter_out(await catalogue.get(code))

    @get(
        "/{code:str}/versions",
        operation_id="listMatterVersions",
        summary="The publication history of one matter",
        responses=problems(400, 404),
    )
    async def list_versions(
        self, catalogue: NamedDependency[CatalogueService], code: MatterCode
    ) -> list[MatterVersion]:
        return [
            MatterVersion(
                version=m.version,
                status=m.guide.status,
                published_at=m.published_at,
                content_hash=m.content_hash,
                note=m.note,
            )
            for m in await catalogue.history(code)
        ]

    @get(
        "/{code:str}/versions/{version:int}",
        operation_id="getMatterVersion",
        summary="Read one published version of a matter (the one an application was filed against)",
        responses=problems(400, 404),
    )
    async def get_version(
        self,
        catalogue: NamedDependency[CatalogueService],
        code: MatterCode,
        version: Annotated[int, PathParameter(ge=1, le=1_000_000)],
    ) -> MatterOut:
        return matter_out(await catalogue.get(code, version))

    @post(
        "/",
        operation_id="publishMatter",
        summary="Publish a matter: its first version, or a new version of an existing one",
        description="Admin only. Applications already filed keep the version they were filed against.",
        guards=[requires(Role.ADMIN)],
        security=SECURED,
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 409, 415, 422),
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        data: Annotated[
            MatterGuide, BodyKwarg(examples=[Example(summary="a minimal matter", value=_EXAMPLE_GUIDE)])
        ],
    ) -> MatterOut:
        return matter_out(await catalogue.publish(data, current_actor(request)))

    @post(
        "/{code:str}/status",
        operation_id="changeMatterStatus",
        summary="Cancel or adjust a matter, naming the reason, legal basis and replacement",
        guards=[requires(Role.ADMIN)],
        security=SECURED,
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        code: MatterCode,
        data: Annotated[
            StatusChangeIn,
            BodyKwarg(
                examples=[Example(summary="a qualification becomes a filing", value=_EXAMPLE_STATUS_CHANGE)]
            ),
        ],
    ) -> MatterOut:
        change = StatusChange(
            effective=data.effective,
            reason=data.reason,
            legal_basis=data.legal_basis,
            replacement=data.replacement,
        )
        return matter_out(await catalogue.change_status(code, data.status, change, current_actor(request)))
