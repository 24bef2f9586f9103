"""The dashboard's routes: thin adapters from a request to one bzzz.dashboard call.

Every page needs a session (GitHub sign-in, or the API key for operators); a page
the viewer may not read answers 404, like GitHub. Actions are POST forms carrying
the session's CSRF token, and redirect back to the page with a notice (Post/Redirect/Get).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from handlers.http_app.dashboard import render, session, signin
from handlers.http_app.services import LazyServices, Services

log = logging.getLogger("bzzz.dashboard")
_MAX_FORM = 8 * 1024
Page = Callable[[Request, Services, dict[str, Any]], Response]


def _services(request: Request) -> Services:
    lazy: LazyServices = request.app.state.services
    return lazy.get()


def _key(services: Services) -> str:
    return services.secrets.require("dashboard_session_key")


def _problem(request: Request, status: int, message: str) -> Response:
    return render.page(request, "problem.html", status, message=message, viewer=None)


def viewing(call: Page) -> Callable[[Request], Awaitable[Response]]:
    """Run `call` (blocking: DynamoDB) with the signed-in viewer; else off to sign in."""

    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(_view, request, call)
        except Exception as exc:  # never a traceback or internal text on a page
            return _failure(request, exc)

    endpoint.__name__ = call.__name__
    return endpoint


def _view(request: Request, call: Page) -> Response:
    services = _services(request)
    payload = session.unsign(_key(services), request.cookies.get(session.COOKIE))
    if payload is None:
        if request.query_params.get("fragment") == "1":
            return Response(b"", 401)  # the poll stops; the next reload signs in
        return RedirectResponse("/dashboard/sign-in", 303)
    return call(request, services, payload)


def _failure(request: Request, exc: Exception) -> Response:
    from bzzz.dashboard import ForbiddenError
    from bzzz.errors import InputError, NotFoundError, TaskNotFoundError

    if isinstance(exc, NotFoundError) and exc.field == "run":
        return _problem(request, 404, "There is no such eval run.")
    if isinstance(exc, NotFoundError | TaskNotFoundError) or (
        isinstance(exc, ForbiddenError) and exc.problem == "no such task"
    ):
        return _problem(request, 404, "There is no such task, or you cannot see it.")
    if isinstance(exc, ForbiddenError):
        return _problem(request, 403, str(exc.problem))
    if isinstance(exc, signin.SignInError):
        return _problem(request, 400, str(exc))
    if isinstance(exc, InputError):
        return _problem(request, 400, f"{exc.field}: {exc.problem}")
    log.error("dashboard: %s: %s", type(exc).__name__, exc, exc_info=exc)
    return _problem(request, 503, "The dashboard cannot show this now; try again shortly.")


def _context(request: Request, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "viewer": session.access_of(payload),
        "csrf": payload.get("csrf", ""),
        "notice": _notice(
            payload, request.query_params.get("notice", ""), request.query_params.get("tag", "")
        ),
    }


def _tag(payload: dict[str, Any], notice: str) -> str:
    # Keyed by the session's own CSRF token: only this server, for this session, minted
    # it, so a link cannot put words on a page as if the dashboard said them.
    key = str(payload.get("csrf", "")).encode()
    return hmac.new(key, notice.encode(), "sha256").hexdigest()[:24]


def _notice(payload: dict[str, Any], notice: str, tag: str) -> str:
    return notice if notice and hmac.compare_digest(_tag(payload, notice), tag) else ""


# ----- pages -----------------------------------------------------------------------------


def tasks(request: Request, services: Services, payload: dict[str, Any]) -> Response:
    from bzzz.dashboard import task_list

    q = request.query_params
    listing = task_list(
        services.hive,
        session.access_of(payload),
        state=q.get("state", ""),
        repo=q.get("repo", ""),
        agent=q.get("agent", ""),
    )
    query = urlencode({k: v for k, v in listing.filters.items() if v})
    return render.page(
        request, "tasks.html", listing=listing, query=query, **_context(request, payload)
    )


def task(request: Request, services: Services, payload: dict[str, Any]) -> Response:
    from bzzz.dashboard import task_page

    key = unquote(request.path_params["key"])
    polled = request.query_params.get("fragment") == "1"
    content = task_page(
        services.settings, services.hive, session.access_of(payload), key, records=not polled
    )
    return render.page(
        request,
        "task.html",
        key=key,
        quoted=quote(key, safe=""),
        **content,
        **_context(request, payload),
    )


def agents(request: Request, services: Services, payload: dict[str, Any]) -> Response:
    from bzzz.dashboard import fleet

    polled = request.query_params.get("fragment") == "1"
    content = fleet(
        services.settings, services.hive, session.access_of(payload), reasons=not polled
    )
    return render.page(request, "agents.html", **content, **_context(request, payload))


def evals(request: Request, services: Services, payload: dict[str, Any]) -> Response:
    from bzzz.dashboard import eval_runs

    content = eval_runs(services.settings)
    return render.page(request, "eval.html", **content, **_context(request, payload))


def eval_run(request: Request, services: Services, payload: dict[str, Any]) -> Response:
    from bzzz.dashboard import eval_run as run_content

    content = run_content(services.settings, request.path_params["run"])
    return render.page(request, "eval_run.html", **content, **_context(request, payload))


# ----- actions (POST, CSRF) -----------------------------------------------------------------


def acting(call: Callable[[Request, Services, dict[str, Any]], tuple[str, str]]) -> Any:
    """A POST form: check the CSRF token, run `call`, redirect to (path, notice) it returns."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > _MAX_FORM:
            return _problem(request, 413, "The form is too large.")
        request.state.form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        try:
            return await run_in_threadpool(_view, request, _checked(call))
        except Exception as exc:
            return _failure(request, exc)

    endpoint.__name__ = call.__name__
    return endpoint


def _checked(call: Callable[[Request, Services, dict[str, Any]], tuple[str, str]]) -> Page:
    def run(request: Request, services: Services, payload: dict[str, Any]) -> Response:
        if not session.csrf_ok(payload, request.state.form.get("csrf")):
            return _problem(request, 403, "This form has expired; reload the page and retry.")
        path, notice = call(request, services, payload)
        query = urlencode({"notice": notice[:300], "tag": _tag(payload, notice[:300])})
        return RedirectResponse(f"{path}?{query}", 303)

    return run


def cancel(request: Request, services: Services, payload: dict[str, Any]) -> tuple[str, str]:
    from bzzz.dashboard import cancel as cancel_task

    key = unquote(request.path_params["key"])
    done = cancel_task(services.intake.lifecycle, session.access_of(payload), key)
    return f"/dashboard/tasks/{quote(key, safe='')}", done


def retry(request: Request, services: Services, payload: dict[str, Any]) -> tuple[str, str]:
    from bzzz.dashboard import retry as retry_task

    key = unquote(request.path_params["key"])
    done = retry_task(services.intake.lifecycle, session.access_of(payload), key)
    return f"/dashboard/tasks/{quote(key, safe='')}", done


def redrive(request: Request, services: Services, payload: dict[str, Any]) -> tuple[str, str]:
    from bzzz.dashboard import redrive as redrive_queue

    queue = request.path_params["queue"]
    moved = redrive_queue(services.settings, session.access_of(payload), queue)
    how = "SQS is moving them" if moved.move_task else f"{moved.moved} moved"
    return "/dashboard/agents", f"{queue}: redriven ({how}, {moved.kept_invalid} invalid kept)"


# ----- signing in and out ---------------------------------------------------------------------


# What a failed sign-in says: by code, so that a link cannot put words on the page.
SIGN_IN_ERRORS = {"cancelled": "GitHub sign-in was cancelled", "wrong_key": "That API key is wrong"}


async def sign_in_page(request: Request) -> Response:
    error = SIGN_IN_ERRORS.get(request.query_params.get("error", ""), "")
    return render.page(request, "sign_in.html", viewer=None, csrf="", error=error)


def _callback_url(request: Request) -> str:
    return str(request.url_for("github_callback"))


async def github_start(request: Request) -> Response:
    def start() -> Response:
        services = _services(request)
        state = secrets.token_urlsafe(24)
        url = signin.authorize_url(services.settings, _callback_url(request), state)
        reply = RedirectResponse(url, 303)
        signed = session.sign(_key(services), {"state": state, "exp": _soon()})
        reply.set_cookie(session.STATE_COOKIE, signed, **session.cookie_options(600))
        return reply

    try:
        return await run_in_threadpool(start)
    except Exception as exc:
        return _failure(request, exc)


def _soon() -> int:
    import time

    return int(time.time() + session.STATE_SECONDS)


async def github_callback(request: Request) -> Response:
    def finish() -> Response:
        services = _services(request)
        key = _key(services)
        q = request.query_params
        if q.get("error"):  # the person pressed Cancel on GitHub
            return RedirectResponse("/dashboard/sign-in?error=cancelled", 303)
        held = session.unsign(key, request.cookies.get(session.STATE_COOKIE)) or {}
        if not hmac.compare_digest(str(held.get("state", "")), q.get("state", "") or "-"):
            raise signin.SignInError("this sign-in link is stale; please sign in again")
        secret = services.secrets.require("github_app_client_secret")
        access = signin.viewer_access(
            services.settings, secret, q.get("code", ""), _callback_url(request)
        )
        return _signed_in(key, access)

    try:
        return await run_in_threadpool(finish)
    except Exception as exc:
        return _failure(request, exc)


def _signed_in(key: str, access: Any) -> Response:
    reply = RedirectResponse("/dashboard/", 303)
    value = session.sign(key, session.new_session(access))
    if len(value) > session.MAX_COOKIE:
        # Browsers drop a cookie past 4 KB: say so rather than sign in to nothing.
        raise signin.SignInError(
            f"you can read {len(access.readable)} repositories, more than a dashboard "
            "session holds; an operator can sign in with the API key"
        )
    reply.set_cookie(session.COOKIE, value, **session.cookie_options(session.LIFETIME_SECONDS))
    reply.delete_cookie(session.STATE_COOKIE, path="/dashboard")
    return reply


async def api_key_sign_in(request: Request) -> Response:
    """Operators: the control plane's API key, checked as the API checks it."""
    from bzzz.dashboard import Access

    raw = await request.body()
    form = dict(parse_qsl(raw[:_MAX_FORM].decode("utf-8", "replace")))

    def check() -> Response:
        services = _services(request)
        expected = services.secrets.require("api_key")
        given = form.get("api_key", "").strip()
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return RedirectResponse("/dashboard/sign-in?error=wrong_key", 303)
        return _signed_in(_key(services), Access.for_operator())

    try:
        return await run_in_threadpool(check)
    except Exception as exc:
        return _failure(request, exc)


async def sign_out(request: Request) -> Response:
    reply = RedirectResponse("/dashboard/sign-in", 303)
    reply.delete_cookie(session.COOKIE, path="/dashboard")
    return reply


async def home(request: Request) -> Response:
    return RedirectResponse("/dashboard/", 307)


ROUTES: list[BaseRoute] = [
    Route("/dashboard", home, methods=["GET"]),
    Route("/dashboard/", viewing(tasks), methods=["GET"]),
    Route("/dashboard/agents", viewing(agents), methods=["GET"]),
    Route("/dashboard/eval", viewing(evals), methods=["GET"]),
    Route("/dashboard/eval/{run}", viewing(eval_run), methods=["GET"]),
    Route("/dashboard/sign-in", sign_in_page, methods=["GET"]),
    Route("/dashboard/sign-in/api-key", api_key_sign_in, methods=["POST"]),
    Route("/dashboard/sign-out", sign_out, methods=["POST"]),
    Route("/dashboard/auth/github", github_start, methods=["GET"]),
    Route("/dashboard/auth/callback", github_callback, methods=["GET"], name="github_callback"),
    Route("/dashboard/queues/{queue}/redrive", acting(redrive), methods=["POST"]),
    # The key holds '/' and '#': links send it URL-encoded; actions before the bare key.
    Route("/dashboard/tasks/{key:path}/cancel", acting(cancel), methods=["POST"]),
    Route("/dashboard/tasks/{key:path}/retry", acting(retry), methods=["POST"]),
    Route("/dashboard/tasks/{key:path}", viewing(task), methods=["GET"]),
    Mount("/dashboard/static", StaticFiles(directory=render.STATIC), name="dashboard-static"),
]
