"""Prometheus metrics of the API at `GET /metrics`: requests by route template and status,
their latency, acts accepted or refused by act, where an act's time goes, and the notices still
to be delivered.

Labels are route templates and act names, never ids: the number of series stays fixed
however many posts and members the register holds, and no record is named.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exequatur.models.kinds import KINDS
from exequatur.register import outbox

# The routes that create a record are acts too (their lifecycle's creating act); the other acts
# are the generated `.../acts/{act}` routes, named "<kind>:<act>" (api/acts.py `_act_route`).
CREATING_ROUTES = {
    kind.creation_route: (kind.name, kind.lifecycle.creation.name) for kind in KINDS.values() if kind.creation_route
}
# The phases of the request being answered, seconds by name (api/service.py `Service.timed`):
# sent back in its Server-Timing header, so a caller sees where its act's time went.
REQUEST_PHASES: ContextVar[dict[str, float] | None] = ContextVar("request_phases", default=None)


class NoticeBacklog:
    """Read at each scrape from the register: the notices the workers' relays have not yet
    delivered (worker/relay.py), by recipient, how long the oldest has waited and how many are
    parked. An alert on the age catches a receiver that is down; one on the parked count a
    notice the relays gave up on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "exequatur_notices_pending", "Notices queued and not yet delivered, by recipient", labels=["recipient"]
        )
        age = GaugeMetricFamily(
            "exequatur_notices_oldest_pending_seconds",
            "How long the oldest undelivered notice has waited, by recipient",
            labels=["recipient"],
        )
        parked = GaugeMetricFamily(
            "exequatur_notices_parked",
            "Notices parked after CONSULAR_NOTICE_MAX_ATTEMPTS failed deliveries (dead letter), by recipient; "
            "`exequatur notices retry` sends them again",
            labels=["recipient"],
        )
        try:
            backlog = outbox.backlog(self.engine)
        except SQLAlchemyError:  # the register away: no figure rather than a failed scrape
            return
        now = time.time()
        for recipient, count, parked_count, oldest in backlog:
            pending.add_metric([recipient], count)
            parked.add_metric([recipient], parked_count)
            age.add_metric([recipient], max(0.0, now - oldest.timestamp()) if oldest else 0.0)
        yield pending
        yield age
        yield parked


class Metrics:
    """One registry per application, so two apps in one process (the tests) count apart."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        if engine is not None:
            self.registry.register(NoticeBacklog(engine))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "exequatur_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "exequatur_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        # accepted: 2xx; refused: the caller's or the law's no (4xx); unavailable: 5xx, retry.
        self.acts = Counter(
            "exequatur_acts",
            "Acts asked for, by lifecycle, act and outcome",
            ["kind", "act", "outcome"],
            registry=self.registry,
        )

        # An act's request is mostly two waits: the register's reads before it (the record, the
        # facts the law's checks need) and the workflow's update (the checks again, the register
        # write). Which one grows tells an operator whether the register or Temporal is slow.
        self.act_phases = Histogram(
            "exequatur_act_phase_duration_seconds",
            "Time an act spends in each phase inside the API: `register` the reads before the update, "
            "`workflow` the update until the act is recorded, by lifecycle",
            ["kind", "phase"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def observe(self, method: str, route: Any, status: int, seconds: float) -> None:
        template = getattr(route, "path", None) or "unmatched"  # unmatched paths would be one series each
        self.requests.labels(method, template, str(status)).inc()
        self.latency.labels(method, template).observe(seconds)
        act = act_of(method, route)
        if act is not None:
            outcome = "accepted" if status < 400 else "refused" if status < 500 else "unavailable"
            self.acts.labels(act[0], act[1], outcome).inc()


def act_of(method: str, route: Any) -> tuple[str, str] | None:
    if method != "POST" or route is None:
        return None
    name, path = getattr(route, "name", ""), getattr(route, "path", "")
    if path in CREATING_ROUTES:
        return CREATING_ROUTES[path]
    if "/acts/" in path and ":" in name:
        kind, act = name.split(":", 1)
        return kind, act
    return None


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): it reads the matched route from the scope, which the
    router fills in, after the application answered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        phases: dict[str, float] = {}
        token = REQUEST_PHASES.set(phases)

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if phases:  # an act: its phases and the whole answer, in milliseconds (W3C Server-Timing)
                    phases["app"] = time.perf_counter() - started
                    timing = ", ".join(f"{name};dur={seconds * 1000:.2f}" for name, seconds in phases.items())
                    MutableHeaders(scope=message).append("Server-Timing", timing)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            REQUEST_PHASES.reset(token)
            self.metrics.observe(scope["method"], scope.get("route"), status, time.perf_counter() - started)


def install(app: FastAPI, engine: Engine | None = None, address: str = "") -> None:
    """Count every request; serve the figures at /metrics on the API's own port, or, with an
    address (CONSULAR_API_METRICS_ADDRESS), on a port of their own that only the cluster's
    Prometheus reaches, not the ministries calling the API."""
    metrics = Metrics(engine)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if address:
        app.state.metrics_address = address  # served from the lifespan (api/app.py): one server a process
        return

    @app.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def serve_apart(app: FastAPI) -> Any:
    """Start the metrics port of `install(..., address)`; returns the server (shut down at exit)."""
    host, port = app.state.metrics_address.rsplit(":", 1)
    server, _thread = start_http_server(int(port), host, registry=app.state.metrics.registry)
    return server
