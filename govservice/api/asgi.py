"""An import target for ASGI servers that load the app by name, in each worker process:

    uvicorn --factory govservice.api.asgi:app_from_env
    granian --interface asgi --factory govservice.api.asgi:app_from_env

Configuration comes from the GOVSERVICE_* environment, as for `govservice serve`; migrating and
seeding are `govservice migrate` / `govservice seed` (serve does both before it starts).
"""

from __future__ import annotations

from litestar import Litestar

from govservice.api.app import create_app
from govservice.config import load_settings


def app_from_env() -> Litestar:
    from govservice.cli import _setup_logging  # the same log format as the command line

    settings = load_settings()
    _setup_logging(settings)
    return create_app(settings)
