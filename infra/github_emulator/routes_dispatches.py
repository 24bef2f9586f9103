"""`POST /repos/{owner}/{repo}/dispatches`: start the repository's `repository_dispatch` workflows.

As on GitHub: write access (an installation needs `contents: write`), an `event_type` of
1-100 characters, a `client_payload` object of at most 10 top-level keys; 204, and a
`repository_dispatch` webhook whose `action` is the event type.
"""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import events
from infra.github_emulator.auth import require_write
from infra.github_emulator.errors import Unprocessable
from infra.github_emulator.rest import Ctx, Reply, endpoint

MAX_PAYLOAD_KEYS = 10


def create_dispatch(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    require_write(ctx.identity, repo, "contents")
    body = ctx.json()
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or not 1 <= len(event_type) <= 100:
        raise Unprocessable('Invalid request.\n\n"event_type" wasn\'t supplied.', errors=[])
    client_payload = body.get("client_payload", {})
    if not isinstance(client_payload, dict) or len(client_payload) > MAX_PAYLOAD_KEYS:
        raise Unprocessable("client_payload must be an object of at most 10 properties", errors=[])
    payload = events.repository_dispatch(
        ctx.world, repo, event_type, client_payload, ctx.identity.login
    )
    ctx.emulator.webhooks.emit("repository_dispatch", payload)
    return Reply(None, 204)


ROUTES = [
    Route("/repos/{owner}/{repo}/dispatches", endpoint(create_dispatch), methods=["POST"]),
]
