"""Public e-licence verification: by number, and as a QR code linking to it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from govservice.api.problems import problems
from govservice.services.licences import LicenceService, LicenceView

Number = Annotated[str, PathParameter(pattern=r"^[A-Z0-9-]{4,32}$")]


class LicenceController(Controller):
    path = "/api/v1/licences"
    tags = ["licences"]

    @get(
        "/{number:str}",
        operation_id="verifyLicence",
        summary="Verify an e-licence: holder, matter, validity, status and signature (no token needed)",
        description="`signature` is a compact JWS (ES256) whose payload is the canonical JSON of `content`; "
        "verify it offline with the key in `/.well-known/jwks.json`.",
        responses=problems(400, 404),
    )
    async def verify(
        self, request: Request[Any, Any, Any], licences: NamedDependency[LicenceService], number: Number
    ) -> LicenceView:
        engine = request.app.state.services.engine
        return await licences.get(number, engine.today())

    @get(
        "/{number:str}/qr.svg",
        operation_id="licenceQr",
        summary="QR code (SVG) linking to the licence's public verification",
        media_type="image/svg+xml",
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type="image/svg+xml",
                description="the QR code",
                generate_examples=False,
            ),
            **problems(400, 404),
        },
    )
    async def qr(self, licences: NamedDependency[LicenceService], number: Number) -> Response[bytes]:
        return Response(await licences.qr_svg(number), media_type="image/svg+xml")
