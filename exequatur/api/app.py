"""The FastAPI application: acts become Temporal Updates, reads come from the register.

HTTP only: the routes are one module per resource (api/routes/), the act routes generated from
the lifecycle declarations (api/acts.py), what they share in api/service.py and
api/dependencies.py. The OpenAPI document at /docs lists each act with its party and article.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from exequatur.api import codec_server, limits, metrics, openapi, problems
from exequatur.api.auth import load_tokens
from exequatur.api.routes import (
    health,
    households,
    incidents,
    lifecycles,
    members,
    notices,
    posts,
    precedence,
    profiles,
    relations,
)
from exequatur.api.service import Service
from exequatur.core.settings import Settings, get_settings
from exequatur.models.kinds import KINDS
from exequatur.register.db import migrate

ROUTERS = [
    health.router,
    lifecycles.router,
    relations.router,
    posts.router,
    members.router,
    households.router,
    incidents.router,
    precedence.router,
    profiles.router,
    notices.router,
]


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_at_start:  # a deployment leaves it to its migration Job
            await run_in_threadpool(migrate, settings.effective_database_url)
        if app.state.service.client is None:
            app.state.service.client = await Client.connect(**settings.client_options())
        apart = metrics.serve_apart(app) if settings.api_metrics_address else None
        try:
            yield
        finally:
            if apart is not None:
                apart.shutdown()

    app = FastAPI(
        title="Exequatur",
        version="1",
        summary="The lifecycle of consular posts and their members under the Vienna Convention on "
        "Consular Relations (1963).",
        lifespan=lifespan,
        openapi_tags=openapi.lifecycle_tags({kind.name: kind.lifecycle for kind in KINDS.values()}),
    )
    app.state.settings = settings
    app.state.service = Service(settings, client)
    app.state.tokens = load_tokens(settings.tokens_file) if settings.tokens_file else []
    problems.install(app)
    # The Web UI (another origin) calls /codec with the auditor's cookie (api/codec_server.py).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins(),
        allow_credentials=True,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )
    codec_server.install(app, settings)
    app.add_middleware(limits.BodyLimit, limit=settings.api_max_body_bytes)  # outermost: before any parsing
    metrics.install(app, app.state.service.engine, settings.api_metrics_address)  # GET /metrics for Prometheus
    app.state.service.act_phases = app.state.metrics.act_phases
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)
    notices.install_webhooks(app)
    return app
