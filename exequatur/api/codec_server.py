"""The Temporal Web UI's codec server (`--ui-codec-endpoint .../codec`): payloads decrypted for
auditors and admins only.

The UI calls /codec/decode from the browser and cannot send a bearer token of ours, so an
auditor signs in once at /codec/login: the token goes into an HttpOnly cookie scoped to /codec,
which the UI sends when its codec setting "Include cross-origin credentials" is on."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from exequatur.api.auth import Principal, authenticate, principal_of
from exequatur.api.problems import Problem
from exequatur.core.settings import Settings

COOKIE = "exequatur_codec"

LOGIN_PAGE = """<!doctype html><meta charset="utf-8"><title>Exequatur codec sign-in</title>
<style>body{{font:16px system-ui;max-width:34rem;margin:3rem auto}}input{{width:100%;padding:.4rem}}</style>
<h1>Decode payloads in the Temporal Web UI</h1>
<p>Payloads are encrypted (AES-GCM). Auditors and admins may read them: paste your API token.
Then, in the Web UI's codec settings, turn on <em>Include cross-origin credentials</em>.</p>
<form method="post"><input name="token" type="password" autocomplete="off" autofocus>
<p><button>Sign in for /codec</button></p></form><p>{message}</p>"""


def reader(request: Request) -> Principal:
    """A bearer token, or the codec cookie; only auditors and admins decode."""
    cookie = request.cookies.get(COOKIE)
    principal = (
        principal_of(request.app.state.tokens, cookie)
        if cookie and not request.headers.get("authorization")
        else authenticate(request)
    )
    return _may_decode(principal)


def _may_decode(principal: Principal) -> Principal:
    if not principal.reads_everything:
        raise Problem(403, "Only auditors and admins may decode payloads")
    return principal


def install(app: FastAPI, settings: Settings) -> None:
    @app.post("/codec/decode", include_in_schema=False)
    @app.post("/codec/encode", include_in_schema=False)
    async def codec_endpoint(request: Request, principal: Annotated[Principal, Depends(reader)]) -> JSONResponse:
        codec = settings.data_converter().payload_codec
        payloads = json_format.ParseDict(await request.json(), Payloads())
        if codec is not None:
            change = codec.decode if request.url.path.endswith("/decode") else codec.encode
            converted = await change(list(payloads.payloads))
            del payloads.payloads[:]
            payloads.payloads.extend(converted)
        return JSONResponse(json_format.MessageToDict(payloads))

    @app.get("/codec/login", include_in_schema=False)
    async def login_page() -> HTMLResponse:
        return HTMLResponse(LOGIN_PAGE.format(message=""))

    @app.post("/codec/login", include_in_schema=False)
    async def login(request: Request) -> HTMLResponse:
        token = (parse_qs((await request.body()).decode()).get("token") or [""])[0].strip()
        try:
            principal = _may_decode(principal_of(request.app.state.tokens, token))
        except Problem as problem:
            return HTMLResponse(LOGIN_PAGE.format(message=html.escape(problem.detail)), status_code=problem.status)
        page = HTMLResponse(LOGIN_PAGE.format(message=f"Signed in as {html.escape(principal.name)}."))
        page.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/codec", max_age=8 * 3600)
        return page
