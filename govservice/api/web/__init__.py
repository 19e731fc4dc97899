"""The public web pages (Chinese first, English on request): e-licence verification (the QR target),
the public board with server-drawn charts, and the service guides. Read-only, anonymous, and never
more than the anonymous API shows: they call the same services.
"""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from govservice.api.web.board import BoardPageController
from govservice.api.web.guide import GuidePageController
from govservice.api.web.render import ERROR_PAGES, STATIC_DIR, STATIC_PATH, TEMPLATE_CONFIG
from govservice.api.web.verify import VerifyPageController


def web_routers() -> list[Router]:
    pages = Router(
        path="/",
        route_handlers=[VerifyPageController, BoardPageController, GuidePageController],
        exception_handlers=ERROR_PAGES,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="web-static",
        cache_control=CacheControlHeader(max_age=365 * 86400, public=True),  # URLs carry the content hash
        include_in_schema=False,
    )
    return [pages, static]


__all__ = ["TEMPLATE_CONFIG", "web_routers"]
