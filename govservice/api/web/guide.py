"""The service guides (办事指南): the catalogue as people read it, from the same cached list as the API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter

from govservice.api.web.i18n import text
from govservice.api.web.render import language, render
from govservice.services.catalogue import CatalogueService


class GuidePageController(Controller):
    path = "/guide"
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], catalogue: NamedDependency[CatalogueService]
    ) -> Response[bytes]:
        return render(request, "guide_list.html", language(request), matters=await catalogue.current())

    @get("/{code:str}")
    async def guide(
        self,
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        code: Annotated[str, PathParameter(max_length=64)],
    ) -> Response[bytes]:
        lang = language(request)
        matters = await catalogue.current()
        matter = next((m for m in matters if m.guide.code == code), None)
        if matter is None:
            return render(
                request,
                "error.html",
                lang,
                status=404,
                heading=text(lang, "notfound.guide"),
                detail=text(lang, "notfound.guide.detail", code=code),
                back_path="/guide",
                back_text=text(lang, "back.guide"),
            )
        names = {m.guide.code: m.guide for m in matters}
        return render(request, "guide.html", lang, matter=matter, guide=matter.guide, names=names)
