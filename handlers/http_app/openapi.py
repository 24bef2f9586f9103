"""The OpenAPI 3.1 document, built from the same JSON Schemas the requests are checked against.

Each schema in `bzzz/schemas/` used by the API goes into `components.schemas`
whole, `$id` included, so its relative `$ref`s (`task-key.json`) resolve as
they do for jsonschema.
"""

from __future__ import annotations

from functools import cache
from typing import Any

SCHEMAS = {
    "Error": "api-error.json",
    "HiveClaim": "hive-claim.json",
    "HiveStatus": "hive-status.json",
    "HiveActiveRepos": "hive-active-repos.json",
    "HiveProjectTask": "hive-project-task.json",
    "Task": "api-task.json",
    "TaskSnapshot": "task-snapshot.json",
    "TaskKey": "task-key.json",
    "Agent": "api-agent.json",
    "WebhookOutcome": "webhook-outcome.json",
    "AuditStream": "api-audit.json",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Malformed request (the field is named)",
        401: "Missing or wrong API key / signature",
        404: "No such project or task",
        409: "Conflict: the task is held by someone else or not in a state that allows this",
        413: "Body too large",
        415: "Not JSON",
        422: "Body breaks its schema (the field is named)",
        503: "A backing service failed; retry",
    }
    return {str(s): _json(_ref("Error"), words[s]) for s in statuses}


def _op(
    summary: str,
    ok: dict[str, Any],
    *errors: int,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": ok, **_errors(*errors)}}
    if body:
        op["requestBody"] = {"required": True, "content": _content(_ref(body))}
    if parameters:
        op["parameters"] = parameters
    return op


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _list(key: str, item: str) -> dict[str, Any]:
    array = {"type": "array", "items": _ref(item)}
    return {"type": "object", "required": [key], "properties": {key: array}}


def _webhook() -> dict[str, Any]:
    return {
        "summary": "GitHub webhook receiver (HMAC-signed; X-GitHub-Event, X-GitHub-Delivery)",
        "security": [],
        "requestBody": {"required": True, "content": _content({"type": "object"})},
        "responses": {
            "200": _json(_ref("WebhookOutcome"), "Handled, or a replay of a handled delivery"),
            "202": _json(_ref("WebhookOutcome"), "Received and deliberately not acted on"),
            **_errors(400, 401, 413, 415, 503),
        },
    }


@cache
def document() -> dict[str, Any]:
    from bzzz import schemas

    project = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    state = [{"name": "state", "in": "query", "schema": {"type": "string"}}]
    key = [
        {
            "name": "key",
            "in": "path",
            "required": True,
            "description": "owner/repo#number, URL-encoded",
            "schema": _ref("TaskKey"),
        }
    ]
    anything = {"type": "object"}
    up = {"description": "Up"}
    write_errors = (400, 401, 404, 409, 415, 422)
    paths: dict[str, Any] = {
        "/github/webhook": {"post": _webhook()},
        "/api/bzzz/active-repos": {
            "get": _op("Repositories to work on", _json(_ref("HiveActiveRepos"), "Repos"), 401)
        },
        "/api/bzzz/projects/{id}/tasks": {
            "get": _op(
                "A project's tasks",
                _json(_list("tasks", "HiveProjectTask"), "Tasks"),
                401,
                404,
                parameters=project,
            )
        },
        "/api/bzzz/projects/{id}/claim": {
            "post": _op(
                "Claim a task",
                _json(anything, "Claimed"),
                *write_errors,
                body="HiveClaim",
                parameters=project,
            )
        },
        "/api/bzzz/projects/{id}/status": {
            "put": _op(
                "Report a task's status",
                _json(anything, "Applied"),
                *write_errors,
                body="HiveStatus",
                parameters=project,
            )
        },
        "/api/tasks": {
            "get": _op("Tasks", _json(_list("tasks", "Task"), "Tasks"), 400, 401, parameters=state)
        },
        "/api/tasks/{key}": {
            "get": _op("One task", _json(_ref("Task"), "The task"), 400, 401, 404, parameters=key)
        },
        "/api/tasks/{key}/audit": {
            "get": _op(
                "A task's audit stream, verified",
                _json(_ref("AuditStream"), "The stream and the verdict"),
                400,
                401,
                404,
                parameters=key,
            )
        },
        "/api/agents": {"get": _op("Live agents", _json(_list("agents", "Agent"), "Agents"), 401)},
        "/health": {"get": {"summary": "Liveness", "security": [], "responses": {"200": up}}},
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Bzzz control plane", "version": "1"},
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": {name: schemas.load(file) for name, file in SCHEMAS.items()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
