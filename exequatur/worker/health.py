"""The worker's health port for an orchestrator (CONSULAR_WORKER_HEALTH_ADDRESS): `/healthz`
answers while the process's event loop turns (liveness), `/readyz` while the worker polls its
task queue and is not draining after SIGTERM (readiness). A worker takes no traffic, so
readiness only tells the operator and the rollout which workers are at work.

Plain asyncio, no web framework: two fixed answers, and nothing here may take the worker's
signals (uvicorn would install its own SIGTERM handler over the worker's drain).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WorkerHealth:
    def __init__(self) -> None:
        self.polling = False
        self.draining = False

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        if path == "/healthz":
            return 200, {"status": "ok"}
        if path == "/readyz":
            ready = self.polling and not self.draining
            state = "ready" if ready else "draining" if self.draining else "starting"
            return (200 if ready else 503), {"status": state}
        return 404, {"status": "not found"}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1").split()
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # the headers: nothing in them changes the answer
            path = request_line[1].split("?", 1)[0] if len(request_line) >= 2 else "/"
            status, body = self.answer(path)
            payload = json.dumps(body).encode()
            head = (
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Unavailable'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + payload)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def serving(self, address: str) -> AsyncIterator[WorkerHealth]:
        if not address:
            yield self
            return
        host, port = address.rsplit(":", 1)
        server = await asyncio.start_server(self._handle, host, int(port))
        try:
            yield self
        finally:
            server.close()
