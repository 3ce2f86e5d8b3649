"""The Temporal Web UI's codec server (`--ui-codec-endpoint .../codec`): payloads decrypted for
auditors and admins only.

The UI calls /codec/decode from the browser and cannot send a bearer token of ours, so an
auditor signs in once at /codec/login and gets an HttpOnly cookie scoped to /codec, which the UI
sends when its codec setting "Include cross-origin credentials" is on (the deployments set
TEMPORAL_CODEC_INCLUDE_CREDENTIALS). The cookie holds no token: it names the principal and
when the session ends, signed with a key every API replica derives from the codec keys; the
signature covers the token's digest too, so removing the token from the tokens file ends the
session at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from exequatur.api.auth import Principal, TokenEntry, authenticate, principal_of
from exequatur.api.limits import AttemptLimit
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


SESSION = timedelta(hours=8)


def _session_key(settings: Settings) -> bytes:
    """Shared by every replica (derived from CONSULAR_CODEC_KEYS, a secret they all hold); with
    no codec keys, payloads are not encrypted and a key of this process will do."""
    keys = settings.codec_keys.get_secret_value() if settings.codec_keys else None
    if keys is None:
        return _PROCESS_KEY
    return hmac.new(keys.encode(), b"exequatur codec session v1", hashlib.sha256).digest()


_PROCESS_KEY = secrets.token_bytes(32)


def _signature(key: bytes, name: str, expires: int, digest: bytes) -> str:
    return hmac.new(key, f"{name}|{expires}|".encode() + digest, hashlib.sha256).hexdigest()


def session_cookie(settings: Settings, entry: TokenEntry, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION.total_seconds())
    name = base64.urlsafe_b64encode(entry.principal.name.encode()).decode()
    return f"v1.{name}.{expires}.{_signature(_session_key(settings), entry.principal.name, expires, entry.digest)}"


def session_principal(settings: Settings, tokens: list[TokenEntry], cookie: str) -> Principal:
    try:
        version, encoded, expires_text, signature = cookie.split(".")
        name, expires = base64.urlsafe_b64decode(encoded).decode(), int(expires_text)
    except ValueError:
        raise Problem(401, "The codec session is not valid: sign in again at /codec/login") from None
    key = _session_key(settings)
    for entry in tokens:
        expected = _signature(key, entry.principal.name, expires, entry.digest)
        if version == "v1" and entry.principal.name == name and hmac.compare_digest(expected, signature):
            if expires < time.time():
                raise Problem(401, "The codec session has ended: sign in again at /codec/login")
            return entry.principal
    raise Problem(401, "The codec session is not valid: sign in again at /codec/login")


def reader(request: Request) -> Principal:
    """A bearer token, or the codec session cookie; only auditors and admins decode."""
    cookie = request.cookies.get(COOKIE)
    principal = (
        session_principal(request.app.state.settings, request.app.state.tokens, cookie)
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

    sign_ins = AttemptLimit(settings.codec_logins_per_minute)

    @app.post("/codec/login", include_in_schema=False)
    async def login(request: Request) -> HTMLResponse:
        # A token can be guessed here: a few attempts a minute per client address.
        wait = sign_ins.wait_seconds(request.client.host if request.client else "unknown")
        if wait:
            message = f"Too many attempts: try again in {wait} s."
            return HTMLResponse(LOGIN_PAGE.format(message=message), status_code=429, headers={"Retry-After": str(wait)})
        token = (parse_qs((await request.body()).decode()).get("token") or [""])[0].strip()
        try:
            principal = _may_decode(principal_of(request.app.state.tokens, token))
        except Problem as problem:
            return HTMLResponse(LOGIN_PAGE.format(message=html.escape(problem.detail)), status_code=problem.status)
        [entry] = [e for e in request.app.state.tokens if e.principal == principal][:1]
        page = HTMLResponse(LOGIN_PAGE.format(message=f"Signed in as {html.escape(principal.name)}."))
        page.set_cookie(
            COOKIE,
            session_cookie(settings, entry),
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="lax",
            path="/codec",
            max_age=int(SESSION.total_seconds()),
        )
        return page
