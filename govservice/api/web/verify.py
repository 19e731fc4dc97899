"""The e-licence verification page: the QR code's target, read on a phone by whoever scanned it."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from govservice.api.web.i18n import text
from govservice.api.web.render import REVALIDATE, language, link, render
from govservice.errors import NotFound
from govservice.services.engine import EngineService
from govservice.services.licences import LicenceService

_NUMBER = re.compile(r"^[A-Z0-9-]{4,32}$")  # as the JSON route's path parameter


class VerifyPageController(Controller):
    path = "/verify"
    include_in_schema = False

    @get("/")
    async def form(
        self,
        request: Request[Any, Any, Any],
        number: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Response[bytes] | Redirect:
        lang = language(request)
        if number and number.strip():
            return Redirect(link(f"/verify/{number.strip().upper()}", lang), status_code=303)
        return render(request, "verify_form.html", lang)

    @get("/{number:str}")
    async def licence(
        self,
        request: Request[Any, Any, Any],
        licences: NamedDependency[LicenceService],
        engine_service: NamedDependency[EngineService],
        number: Annotated[str, PathParameter(max_length=64)],
    ) -> Response[bytes]:
        lang = language(request)
        try:
            if not _NUMBER.match(number):
                raise NotFound(f"no licence numbered {number}", code="licence_not_found")
            view = await licences.get(number, engine_service.today())
        except NotFound:
            return render(
                request,
                "error.html",
                lang,
                status=404,
                cache_control=REVALIDATE,
                heading=text(lang, "notfound.licence"),
                detail=text(lang, "notfound.licence.detail", number=number),
                back_path="/verify",
                back_text=text(lang, "back.verify"),
            )
        zone = request.app.state.settings.zone
        return render(
            request,
            "verify.html",
            lang,
            cache_control=REVALIDATE,
            licence=view,
            check=licences.check_signature(view),
            changed_on=view.status_changed_at.astimezone(zone).date() if view.status_changed_at else None,
        )
