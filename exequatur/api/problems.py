"""Errors as application/problem+json (RFC 9457), naming the field or the article."""

from __future__ import annotations

import keyword
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Act not allowed now",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    503: "Register unavailable",
}


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://exequatur.example/problems/{status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:  # transient: the register or Temporal is back within seconds as a rule
        headers["Retry-After"] = "2"
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


async def on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, **exc.extra)


async def on_http(request: Request, exc: Exception) -> JSONResponse:
    """Routing's own answers (unknown path 404, wrong method 405 with Allow) as problems too."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _methods_of(request, headers.get("Allow", ""))
    return problem_response(exc.status_code, str(exc.detail), headers=headers)


def _methods_of(request: Request, default: str) -> str:
    """Every method the path answers, as the OpenAPI document lists them: Starlette's 405 names
    only the first route that matched the path, and /v1/posts has one route for GET and another
    for POST. Paths the document does not list keep Starlette's answer."""
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = request.app.state.methods_by_path = [
            (
                re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"),
                sorted(m.upper() for m in ops),
            )
            for path, ops in request.app.openapi().get("paths", {}).items()
        ]
    methods = sorted({m for pattern, ms in table if pattern.match(request.url.path) for m in ms})
    return ", ".join(methods) if methods else default


def _field(part: object) -> str:
    """A field as the caller wrote it: `class`, not the `class_` Python needs for a keyword (a
    value checked by default, not given, is located by the attribute's name)."""
    name = str(part)
    return name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name


async def on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(_field(p) for p in e["loc"] if p != "body") or "body", "msg": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    names = ", ".join(e["field"] for e in errors)
    return problem_response(422, f"Invalid input: {names}", errors=errors)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    import structlog

    structlog.get_logger("exequatur.api").exception("unexpected error", path=request.url.path)
    return problem_response(500, "An unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
