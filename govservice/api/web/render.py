"""Rendering the public pages: Litestar's Jinja engine, ETags, caching headers, HTML error pages."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from litestar.types import ExceptionHandlersMap

from govservice.api.pages import _matches
from govservice.api.web.i18n import Lang, choose_language, text
from govservice.errors import GovServiceError

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/static"
# Pages load nothing from any other host, and run no script at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
REVALIDATE = "public, no-cache"  # a licence can be revoked any minute: always ask (304 is cheap)
SHORT = "public, max-age=60"


def _asset_versions() -> dict[str, str]:
    """Each static file's content hash, put in its URL so it can be cached for a year."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in STATIC_DIR.iterdir() if p.is_file()
    }


_VERSIONS = _asset_versions()


def static_url(name: str) -> str:
    return f"{STATIC_PATH}/{name}?v={_VERSIONS[name]}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.globals.update(static_url=static_url)
    return env


TEMPLATE_CONFIG: TemplateConfig[JinjaTemplateEngine] = TemplateConfig(
    instance=JinjaTemplateEngine.from_environment(_environment())
)


def language(request: Request[Any, Any, Any]) -> Lang:
    query = request.query_params.get("lang")
    return choose_language(
        query if isinstance(query, str) else None, request.headers.get("accept-language", "")
    )


def link(path: str, lang: Lang, **params: object) -> str:
    """A link to another page, keeping English when it was chosen; empty parameters are left out."""
    query = {k: str(v) for k, v in params.items() if v not in (None, "")}
    if lang == "en":
        query["lang"] = "en"
    return path + ("?" + urlencode(query) if query else "")


def fmt_date(day: date | None, lang: Lang) -> str:
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def render(
    request: Request[Any, Any, Any],
    template: str,
    lang: Lang,
    *,
    status: int = 200,
    cache_control: str = SHORT,
    **context: Any,
) -> Response[bytes]:
    """The page as HTML with a weak ETag (one per body, whatever the transfer encoding), or 304."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    def here(lang_: Lang) -> str:
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        return request.url.path + "?" + urlencode({**params, "lang": lang_})

    engine = request.app.template_engine
    assert engine is not None, "the app is built with the pages' TEMPLATE_CONFIG"
    body = (
        engine.get_template(template)
        .render(
            t=t,
            lang=lang,
            other_lang="zh" if lang == "en" else "en",
            here=here,
            link=lambda path, **params: link(path, lang, **params),
            fmt_date=lambda day: fmt_date(day, lang),
            **context,
        )
        .encode()
    )
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Language, Accept-Encoding",
        "Content-Language": "zh-CN" if lang == "zh" else "en",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if status == 200 and _matches(request.headers.get("if-none-match"), etag.removeprefix("W/")):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """A page's error as a page: its status and message, never a trace nor JSON."""
    if isinstance(exc, GovServiceError):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, str(exc.detail)
    else:  # pragma: no cover - only the two above are routed here
        status, detail = 500, ""
    lang = language(request)
    section = request.url.path.strip("/").split("/")[0]
    section = section if section in {"verify", "board", "guide"} else "verify"
    return render(
        request,
        "error.html",
        lang,
        status=status,
        cache_control="no-store",
        heading=text(lang, "error.title"),
        detail=text(lang, "error.detail"),
        reason=detail,
        back_path=f"/{section}",
        back_text=text(lang, f"back.{section}"),
    )


ERROR_PAGES: ExceptionHandlersMap = {GovServiceError: error_page, HTTPException: error_page}
