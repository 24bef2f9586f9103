"""Test control under `/_emulator/` (not a GitHub prefix): seed, budget, webhooks, acting.

These endpoints need no token and spend no rate limit; they are for tests and
the demo only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.github_emulator import actions, actions_reviews, events, shapes
from infra.github_emulator.errors import EmulatorError, GitHubError, NotFound
from infra.github_emulator.seed import add_installation
from infra.github_emulator.state import now

P = "/_emulator"


def _emulator(request: Request) -> Any:
    return request.app.state.emulator


async def state(request: Request) -> Response:
    world = _emulator(request).world
    with world.lock:
        return JSONResponse(world.snapshot())


async def reseed(request: Request) -> Response:
    emulator = _emulator(request)
    try:
        # Over HTTP a seed may not import host repositories: anyone on loopback can post one.
        emulator.reseed(await request.json(), allow_import=False)
    except EmulatorError as exc:
        return JSONResponse({"message": str(exc)}, 422)
    return JSONResponse(emulator.world.snapshot())


async def rate_limit(request: Request) -> Response:
    body = await request.json()
    limiter = _emulator(request).limiter
    limiter.configure(
        limit=body.get("limit"),
        remaining=body.get("remaining"),
        window_seconds=body.get("window_seconds"),
        status=body.get("status"),
    )
    return JSONResponse({"limit": limiter.limit, "status": limiter.status})


async def faults(request: Request) -> Response:
    """Answer 5xx or a secondary rate limit for a while (faults.py); DELETE ends them all."""
    injected = _emulator(request).faults
    if request.method == "PUT":
        try:
            injected.add(await request.json())
        except EmulatorError as exc:
            return JSONResponse({"message": str(exc)}, 422)
    elif request.method == "DELETE":
        injected.clear()
    return JSONResponse(injected.summary())


async def webhook(request: Request) -> Response:
    body = await request.json()
    world = _emulator(request).world
    with world.lock:
        world.webhook.url = body.get("url")
        world.webhook.secret = body.get("secret")
    return JSONResponse({"url": world.webhook.url})


async def deliveries(request: Request) -> Response:
    hooks = _emulator(request).webhooks
    # Waiting happens off the event loop: a receiver may call back into the stand-in.
    await to_thread.run_sync(hooks.wait_idle, float(request.query_params.get("wait", "5")))
    return JSONResponse([d.summary() for d in hooks.deliveries])


async def redeliver(request: Request) -> Response:
    hooks = _emulator(request).webhooks
    delivery = hooks.redeliver(int(request.path_params["delivery_id"]))
    if delivery is None:
        return JSONResponse({"message": "Not Found"}, 404)
    await to_thread.run_sync(delivery.done.wait, 10)
    return JSONResponse(delivery.summary(), 202)


async def expire_token(request: Request) -> Response:
    world = _emulator(request).world
    with world.lock:
        token = world.tokens.get(request.path_params["token"])
        if token is None:
            return JSONResponse({"message": "Not Found"}, 404)
        token.expires_at = now() - timedelta(seconds=1)
    return JSONResponse({"expired": True})


async def install(request: Request) -> Response:
    """Install an app on an account's repos, announcing it with `installation.created`."""
    emulator = _emulator(request)
    body = await request.json()
    world = emulator.world
    with world.lock:
        try:
            inst = add_installation(world, body)
        except EmulatorError as exc:
            return JSONResponse({"message": str(exc)}, 422)
        sender = world.user(body.get("sender", inst.account)).login
        emulator.webhooks.emit("installation", events.installation_created(world, inst, sender))
    return JSONResponse({"id": inst.id}, 201)


async def act(request: Request) -> Response:
    """Do what a user does on github.com: label, unlabel, edit, comment, close, reopen; on a pull
    request also review (with line `comments`), line_comment and merge."""
    emulator = _emulator(request)
    body = await request.json()
    world, hooks = emulator.world, emulator.webhooks
    with world.lock:
        try:
            actor = world.user(body["as"]).login
            owner, _, name = str(body["repo"]).partition("/")
            repo = world.repo(owner, name)
            issue = None if repo is None else repo.issues.get(int(body["number"]))
            if repo is None or issue is None:
                raise NotFound()
            kind = body["action"]
            if kind == "label":
                actions.add_labels(world, hooks, repo, issue, [body["label"]], actor)
            elif kind == "unlabel":
                actions.remove_label(world, hooks, repo, issue, body["label"], actor)
            elif kind == "edit":
                text = {k: body[k] for k in ("title", "body") if k in body}
                actions.edit_issue(world, hooks, repo, issue, text, actor)
            elif kind == "comment":
                comment = actions.add_comment(world, hooks, repo, issue, body.get("body"), actor)
                return JSONResponse(shapes.comment(world, repo, comment), 201)
            elif kind in ("close", "reopen"):
                state = "closed" if kind == "close" else "open"
                actions.set_state(world, hooks, repo, issue, state, body.get("reason"), actor)
            elif kind == "review" and issue.pull is not None:
                event, text = body.get("event", "COMMENT"), body.get("body", "")
                comments = body.get("comments")
                actions_reviews.submit_review(
                    world,
                    hooks,
                    repo,
                    issue,
                    event,
                    text,
                    actor,
                    comments if isinstance(comments, list) else None,
                )
            elif kind == "line_comment" and issue.pull is not None:
                spec = {k: body.get(k) for k in ("path", "line", "side", "body")}
                actions_reviews.add_line_comment(world, hooks, repo, issue, spec, actor)
            elif kind == "merge" and issue.pull is not None:
                actions_reviews.merge(world, hooks, repo, issue, actor, body.get("sha"))
            else:
                return JSONResponse({"message": f"unknown action {kind!r}"}, 422)
        except KeyError as exc:
            return JSONResponse({"message": f"missing field {exc}"}, 422)
        except GitHubError as exc:
            return JSONResponse(exc.body(), exc.status)
        return JSONResponse(shapes.issue(world, repo, issue))


ROUTES = [
    Route(f"{P}/state", state, methods=["GET"]),
    Route(f"{P}/seed", reseed, methods=["POST"]),
    Route(f"{P}/rate-limit", rate_limit, methods=["PUT"]),
    Route(f"{P}/faults", faults, methods=["GET", "PUT", "DELETE"]),
    Route(f"{P}/webhook", webhook, methods=["PUT"]),
    Route(f"{P}/deliveries", deliveries, methods=["GET"]),
    Route(f"{P}/deliveries/{{delivery_id:int}}/redeliver", redeliver, methods=["POST"]),
    Route(f"{P}/tokens/{{token}}/expire", expire_token, methods=["POST"]),
    Route(f"{P}/installations", install, methods=["POST"]),
    Route(f"{P}/act", act, methods=["POST"]),
]
