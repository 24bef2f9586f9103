"""Real HTTP servers the control plane talks to in the integration tests.

- `HiveReceiver`: a tiny Hive serving `active-repos` and recording every claim
  and status report (answering 409 to a second claim of the same task, as Hive does).
- `FlakyProxy`: forwards to the GitHub stand-in but answers 502 to the first
  `failures` requests whose method and path match, as GitHub does on a bad day.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.github_emulator.server import free_port


class _Served:
    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self._server.started, "server did not start"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@dataclass
class HiveReceiver:
    repositories: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        async def active_repos(request: Request) -> Response:
            return JSONResponse({"repositories": self.repositories})

        async def claim(request: Request) -> Response:
            body = await request.json()
            body["project_id"] = int(request.path_params["project_id"])
            if "task_number" not in body:
                return JSONResponse({"detail": "task_number is required"}, 400)
            known = any(
                c["project_id"] == body["project_id"] and c["task_number"] == body["task_number"]
                for c in self.claims
            )
            self.claims.append(body)
            return JSONResponse({"detail": "already claimed"}, 409 if known else 200)

        async def status(request: Request) -> Response:
            body = await request.json()
            body["project_id"] = int(request.path_params["project_id"])
            if "task_number" not in body:
                return JSONResponse({"detail": "task_number is required"}, 400)
            self.statuses.append(body)
            return JSONResponse({"ok": True})

        return Starlette(
            routes=[
                Route("/api/bzzz/active-repos", active_repos),
                Route("/api/bzzz/projects/{project_id:int}/claim", claim, methods=["POST"]),
                Route("/api/bzzz/projects/{project_id:int}/status", status, methods=["PUT"]),
            ]
        )


@dataclass
class FlakyProxy:
    upstream: str
    method: str = "POST"
    path_contains: str = "/comments"
    failures: int = 1
    failed: int = 0
    url: str = ""
    status: int = 502  # what a failing answer is: a 5xx, or 403/429 with `headers`
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"retry-after": "1"}
    lose_answer: bool = False  # forward the request, then answer `status` (a lost reply)
    # Called (with the path) before a matching request is forwarded, once it has no
    # failures left to give: what happens in the world meanwhile (a race, made certain).
    meanwhile: Callable[[str], object] | None = None

    def app(self) -> Starlette:
        client = httpx.AsyncClient(base_url=self.upstream, timeout=20)

        async def relay(request: Request) -> httpx.Response:
            dropped = ("host", "content-length")
            headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
            return await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                headers=headers,
                content=await request.body(),
            )

        async def forward(request: Request) -> Response:
            path = request.url.path
            matches = request.method == self.method and self.path_contains in path
            if matches and self.failed < self.failures:
                self.failed += 1
                if self.lose_answer:  # GitHub did it; the answer never arrived
                    await relay(request)
                message = "Server Error" if self.status >= 500 else (
                    "You have exceeded a secondary rate limit. Please wait a few minutes "
                    "before you try again."
                )  # fmt: skip
                return JSONResponse({"message": message}, self.status, headers=self.headers)
            if matches and self.meanwhile is not None:
                self.meanwhile(path)
            reply = await relay(request)
            passed = {
                k: v
                for k, v in reply.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
            }
            return Response(reply.content, reply.status_code, headers=passed)

        methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def serve(receiver: HiveReceiver | FlakyProxy) -> _Served:
    served = _Served(receiver.app())
    served.start()
    receiver.url = served.url
    return served
