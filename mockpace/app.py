"""The FastAPI application: one app serving the three 7pace API families and the admin plane."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import mockpace
from mockpace import apidoc
from mockpace.admin.router import router as admin_router
from mockpace.common.clock import Clock
from mockpace.common.errors import install_handlers
from mockpace.common.guard import GuardMiddleware
from mockpace.common.routing import NormalizePathMiddleware
from mockpace.common.timefmt import parse_datetime
from mockpace.demo.router import router as demo_router
from mockpace.harness import HarnessMiddleware
from mockpace.orgs import DataSource, Opened, Org, Progress, Registry
from mockpace.reporting.router import router as reporting_router
from mockpace.rest.router import router as rest_router
from mockpace.settings import ServerSettings, default_db_path
from mockpace.store import Store
from mockpace.tracking.pin import admin_router as pin_admin_router
from mockpace.tracking.router import router as tracking_router

DESCRIPTION = """A local emulator of the 7pace Timetracker APIs: REST CRUD (`/api/rest`),
Tracking client (`/api/tracking/client`), Reporting OData (`/api/odata/v3.x`), and mockpace's own
admin plane (`/_mockpace`, tag `admin`)."""


DOCS_ASSETS = "/_mockpace/static/docs"


def data_source(settings: ServerSettings) -> DataSource:
    return DataSource(seed=settings.seed, anchor_date=settings.anchor_date, users=settings.users,
                      work_items=settings.work_items, days=settings.days,
                      worklogs=settings.worklogs, fixture=settings.fixture)


def start_clock(settings: ServerSettings) -> Clock:
    return Clock().frozen(parse_datetime(settings.clock)) if settings.clock else Clock()


def build_default_org(settings: ServerSettings, *,
                      progress: Progress | None = None) -> tuple[Org, Opened]:
    """The default organization on the database of ``settings`` (see ``Org.load``)."""
    store = Store(settings.db or default_db_path())
    org = Org("contoso", store)
    opened = org.load(data_source(settings), settings.org_settings(),
                      clock=start_clock(settings), progress=progress, fresh=settings.fresh)
    return org, opened


def create_app(settings: ServerSettings | None = None, registry: Registry | None = None) -> FastAPI:
    settings = settings or ServerSettings(db=":memory:")
    if registry is None:
        registry = Registry()
        registry.add(build_default_org(settings)[0], default=True)
    # fastapi-offline: /docs and /redoc load Swagger UI and ReDoc from files shipped in that
    # package (served under DOCS_ASSETS), not from a CDN, so the docs work offline. No
    # validator badge (it would call an external host).
    app = FastAPIOffline(title="mockpace", version=mockpace.__version__, description=DESCRIPTION,
                         openapi_tags=[{"name": "admin",
                                        "description": "mockpace's own admin plane"}],
                         static_url=DOCS_ASSETS, swagger_ui_parameters={"validatorUrl": None})
    apidoc.install(app)
    app.state.registry = registry
    app.state.server_settings = settings
    install_handlers(app)
    # 7pace routes first: routing tries routes in order, and they carry the traffic.
    app.include_router(rest_router)
    app.include_router(tracking_router)
    app.include_router(reporting_router)
    app.include_router(admin_router)
    app.include_router(pin_admin_router)
    app.include_router(demo_router)
    app.add_middleware(HarnessMiddleware)  # inside: runs after path normalization
    app.add_middleware(NormalizePathMiddleware)
    app.add_middleware(GuardMiddleware)  # outermost: URL and body limits, header guard
    logging.getLogger("odata_query").setLevel(logging.ERROR)
    return app


# Set by ``serve --workers N`` for its workers: the file holding the pristine copy it saved.
PRISTINE_ENV = "MOCKPACE_WORKER_PRISTINE"


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` worker processes: settings come from MOCKPACE_*. The
    CLI opened the database (seeded or reused it, wrote the start-up settings and clock) before
    the workers started: each worker only takes it over as it is (``Org.adopt``), so a worker
    that finishes starting late never undoes a change made through another one."""
    import os
    from pathlib import Path

    settings = ServerSettings()
    if settings.request_log:
        from mockpace.harness import console

        console.enable()
    pristine = os.environ.get(PRISTINE_ENV)
    if not pristine:
        return create_app(settings)
    org = Org("contoso", Store(settings.db or default_db_path()))
    org.adopt(Path(pristine))
    registry = Registry()
    registry.add(org, default=True)
    return create_app(settings, registry)
