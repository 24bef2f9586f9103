"""The Hive-compatible API and our listings, through the Lambda entry point."""

from __future__ import annotations

from typing import Any

import pytest

from bzzz import schemas
from bzzz.tasks.lifecycle import Lifecycle
from tests.events.http_api import api_event, labeled_event, reply_json, webhook_event
from tests.fixtures.http_function import API_KEY as KEY
from tests.fixtures.http_function import HttpFunction


def _installation_added(fn: HttpFunction) -> int:
    """Announce acme/calc to the function as GitHub does when the app gets the repo."""
    repo = fn.github.client("alice").rest.repos.get("acme", "calc").json()
    payload = {
        "action": "added",
        "installation": {"id": 77},
        "repository_selection": "selected",
        "repositories_added": [
            {"id": repo["id"], "node_id": repo["node_id"], "name": "calc",
             "full_name": "acme/calc", "private": False}
        ],
        "repositories_removed": [],
        "requester": None,
        "sender": {"login": "alice", "id": 1, "type": "User"},
    }  # fmt: skip
    reply = fn(webhook_event(payload, event="installation_repositories", delivery="d-inst"))
    assert reply["statusCode"] == 200, reply
    return int(repo["id"])


def _call(fn: HttpFunction, method: str, path: str, body: Any = None, **headers: Any) -> Any:
    reply = fn(api_event(method, path, body, headers=headers or None))
    return reply["statusCode"], reply_json(reply)


def test_active_repos_lists_the_installed_repository(http_function: HttpFunction):
    project = _installation_added(http_function)

    status, body = _call(http_function, "GET", "/api/bzzz/active-repos")

    assert status == 200
    schemas.validate("hive-active-repos.json", body)
    [repo] = body["repositories"]
    assert repo["project_id"] == project
    assert (repo["owner"], repo["repository"], repo["branch"]) == ("acme", "calc", "main")
    assert repo["git_url"] == f"{http_function.github.base_url}/acme/calc.git"
    assert repo["bzzz_enabled"] is True and repo["private_repo"] is False


def test_claim_once_then_409_for_the_second_agent(http_function: HttpFunction):
    project = _installation_added(http_function)
    http_function(labeled_event())
    path = f"/api/bzzz/projects/{project}"

    status, tasks = _call(http_function, "GET", f"{path}/tasks")
    assert status == 200
    assert [(t["task_number"], t["state"]) for t in tasks["tasks"]] == [(1, "queued")]
    for task in tasks["tasks"]:
        schemas.validate("hive-project-task.json", task)

    claim = {"task_number": 1, "agent_id": "runner-a", "claimed_at": "2026-11-24T10:00:00Z"}
    status, first = _call(http_function, "POST", f"{path}/claim", claim)
    assert (status, first["task"]["assignee"]) == (200, "runner-a")

    status, second = _call(http_function, "POST", f"{path}/claim", {**claim, "agent_id": "b"})
    assert status == 409
    assert second["error"] == "conflict"
    assert "runner-a" in second["message"]


def test_status_reports_drive_the_lifecycle(http_function: HttpFunction):
    project = _installation_added(http_function)
    http_function(labeled_event())
    path = f"/api/bzzz/projects/{project}"
    _call(http_function, "POST", f"{path}/claim", {"task_number": 1, "agent_id": "runner-a"})

    started = {"task_number": 1, "status": "in_progress", "updated_at": "2026-11-24T10:01:00Z"}
    started["metadata"] = {"agent_id": "runner-a"}
    status, _ = _call(http_function, "PUT", f"{path}/status", started)
    assert status == 200
    status, missing = _call(http_function, "PUT", f"{path}/status",
                            {"task_number": 1, "status": "completed", "results": {}})  # fmt: skip
    assert (status, missing["field"]) == (400, "metadata.pr_url")
    pr = "https://github.com/acme/calc/pull/2"
    completed = {"task_number": 1, "status": "completed", "results": {"pr_url": pr}}
    status, done = _call(http_function, "PUT", f"{path}/status", completed)
    assert status == 200, done
    task = Lifecycle(http_function.settings).get("acme/calc#1")
    assert task is not None
    assert (task.state, task.pr_url) == ("completed", "https://github.com/acme/calc/pull/2")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "field"),
    [
        pytest.param("GET", "/api/tasks", None, {"authorization": None}, 401,
                     "header authorization", id="missing key"),
        pytest.param("GET", "/api/agents", None, {"authorization": "Bearer nope"}, 401,
                     "header authorization", id="wrong key"),
        pytest.param("GET", "/api/tasks", None, {"authorization": None, "x-api-key": KEY},
                     200, None, id="x-api-key accepted"),
        pytest.param("POST", "/api/bzzz/projects/1/claim", {"task_number": 1}, {}, 422,
                     "$.agent_id", id="claim without agent"),
        pytest.param("POST", "/api/bzzz/projects/1/claim", {"task_number": "1", "agent_id": "a"},
                     {}, 422, "$.task_number", id="task number as text"),
        pytest.param("PUT", "/api/bzzz/projects/1/status", {"task_number": 1, "status": "done"},
                     {}, 422, "$.status", id="unknown status"),
        pytest.param("POST", "/api/bzzz/projects/1/claim", b"{not json", {}, 400, "body",
                     id="malformed JSON"),
        pytest.param("POST", "/api/bzzz/projects/1/claim", {"task_number": 1, "agent_id": "a"},
                     {}, 404, "id", id="unknown project"),
        pytest.param("GET", "/api/bzzz/projects/abc/tasks", None, {}, 400, "id", id="project id"),
        pytest.param("GET", "/api/tasks/acme%2Fcalc%2399", None, {}, 404, "key", id="no task"),
        pytest.param("GET", "/api/tasks/not-a-key", None, {}, 400, "task", id="bad key"),
        pytest.param("GET", "/api/tasks?state=lost", None, {}, 400, "state", id="bad state"),
    ],
)  # fmt: skip
def test_api_refusals_name_the_field(http_function, method, path, body, headers, status, field):
    got, reply = _call(http_function, method, path, body, **headers)

    assert got == status, reply
    if status != 200:
        schemas.validate("api-error.json", reply)
        assert reply["field"] == field


def test_task_listing_and_lookup_by_encoded_key(http_function: HttpFunction):
    http_function(labeled_event())

    status, listing = _call(http_function, "GET", "/api/tasks?state=queued")
    assert status == 200
    assert [t["key"] for t in listing["tasks"]] == ["acme/calc#1"]
    status, one = _call(http_function, "GET", "/api/tasks/acme%2Fcalc%231")
    assert status == 200
    schemas.validate("api-task.json", one)
    assert (one["key"], one["state"], one["title"]) == (
        "acme/calc#1",
        "queued",
        "sum_to(n) leaves out n",
    )


def test_health_needs_no_key_and_openapi_references_our_schemas(http_function: HttpFunction):
    status, health = _call(http_function, "GET", "/health", authorization=None)
    assert (status, health["status"]) == (200, "ok")

    status, doc = _call(http_function, "GET", "/openapi.json", authorization=None)
    assert status == 200
    assert doc["openapi"].startswith("3.1")
    claim = doc["paths"]["/api/bzzz/projects/{id}/claim"]["post"]
    ref = claim["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert doc["components"]["schemas"][ref.rsplit("/", 1)[1]] == schemas.load("hive-claim.json")


def test_agents_lists_only_live_runners(http_function: HttpFunction):
    import time
    from datetime import timedelta

    from bzzz.store.models import Agent

    now = time.time()
    Agent(agent_id="gpu-1", capabilities={"python"}, models={"qwen2.5-coder"}, capacity=2,
          current_tasks=["acme/calc#1"], last_seen=now,
          expires_at=timedelta(seconds=120)).save()  # fmt: skip
    # Past its TTL but not yet deleted (DynamoDB deletes expired rows lazily).
    Agent(agent_id="gone", last_seen=now - 900, expires_at=timedelta(seconds=-60)).save()

    status, body = _call(http_function, "GET", "/api/agents")

    assert status == 200
    [agent] = body["agents"]
    schemas.validate("api-agent.json", agent)
    assert (agent["agent_id"], agent["capacity"], agent["current_tasks"]) == (
        "gpu-1",
        2,
        ["acme/calc#1"],
    )


def test_every_schema_reference_of_the_openapi_document_resolves(http_function: HttpFunction):
    _, doc = _call(http_function, "GET", "/openapi.json", authorization=None)

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for item in node for r in refs(item)]
        return []

    local = {r for r in refs(doc["paths"]) if r.startswith("#/components/schemas/")}
    assert local, "the paths reference no schema"
    assert {r.rsplit("/", 1)[1] for r in local} <= set(doc["components"]["schemas"])
    ids = {s.get("$id") for s in doc["components"]["schemas"].values()}
    # Relative references inside the schemas (task-key.json, ...) resolve by $id.
    nested = {r for r in refs(doc["components"]) if not r.startswith("#")}
    assert {f"https://bzzz.dev/schemas/{r}" for r in nested} <= ids


def test_a_tasks_audit_stream_is_served_and_verifies(
    http_function: HttpFunction, monkeypatch: pytest.MonkeyPatch
):
    from urllib.parse import quote

    from bzzz.audit import CONTROL_PLANE, Signer

    signer = Signer.generate(CONTROL_PLANE)
    # The control plane's key is pinned from its signing secret, never published.
    monkeypatch.setenv("BZZZ_AUDIT_SIGNING_KEY", signer.pem().decode())
    assert http_function(labeled_event())["statusCode"] == 200  # the webhook creates the task

    status, body = _call(http_function, "GET", f"/api/tasks/{quote('acme/calc#1', safe='')}/audit")

    assert status == 200
    schemas.validate("api-audit.json", body)
    assert body["verified"] is True and body["finding"] is None
    assert [(e["seq"], e["type"], e["author"]) for e in body["entries"]] == [
        (1, "task.create", CONTROL_PLANE)
    ]
    status, missing = _call(
        http_function, "GET", f"/api/tasks/{quote('acme/calc#9', safe='')}/audit"
    )
    assert status == 404 and missing["field"] == "key"
