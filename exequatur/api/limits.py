"""Limits the API sets before any work is done: the size of a request body, checked before it
is parsed (CONSULAR_API_MAX_BODY_BYTES), and the pace of codec sign-ins, where a token can be
guessed (CONSULAR_CODEC_LOGINS_PER_MINUTE per client address, in each API process)."""

from __future__ import annotations

import time
from collections import deque

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exequatur.api.problems import problem_response


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reading lets it through (it turns any other
    error there into a 400) and the problem handler answers 413."""


class BodyLimit:
    """Pure ASGI: a declared Content-Length over the limit is refused at once (413), a body sent
    without one is counted as it arrives and refused when it passes the limit; nothing parses
    it, nothing is recorded."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.detail = f"The request body is larger than {limit} bytes; nothing was recorded"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received, started = 0, False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge(413, self.detail)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, self.detail)
        await response(scope, receive, send)


class AttemptLimit:
    """At most `per_minute` attempts a key in any sliding minute; the keys are few (client
    addresses signing in to the codec) and forgotten once their minute has passed."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.attempts: dict[str, deque[float]] = {}

    def wait_seconds(self, key: str, now: float | None = None) -> int:
        """0 if this attempt may go ahead (and counts it), else how long until one may."""
        now = time.monotonic() if now is None else now
        recent = self.attempts.setdefault(key, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return max(1, int(recent[0] + 60 - now) + 1)
        recent.append(now)
        if len(self.attempts) > 10_000:  # many addresses: drop the ones whose minute has passed
            self.attempts = {k: v for k, v in self.attempts.items() if v and v[-1] > now - 60}
        return 0
