"""The PynamoDB models and template.yaml declare the same tables: keys, indexes, TTL.

The models are the code's one definition of each table (docs/architecture.md,
"Persistence"); the template is what AWS creates. A key or index renamed in one
and not the other would only show up against a real table.
"""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from bzzz.store.models import Agent, Repo, Task, ThreadMessage, WebhookDelivery
from infra.local_backend.template import load_template

MODELS: dict[str, type[Model]] = {
    "TasksTable": Task,
    "AgentsTable": Agent,
    "DeliveriesTable": WebhookDelivery,
    "ReposTable": Repo,
    "ThreadsTable": ThreadMessage,
}


def _keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in schema}


def _model_keys(model: type[Model]) -> dict[str, str]:
    keys = {}
    for name, attribute in model.get_attributes().items():
        if attribute.is_hash_key:
            keys["HASH"] = name
        if attribute.is_range_key:
            keys["RANGE"] = name
    return keys


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, Any]]:
    resources = load_template()["Resources"]
    return {
        name: resource["Properties"]
        for name, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def test_every_table_but_the_audit_log_has_a_model(tables):
    assert set(tables) - set(MODELS) == {"AuditTable"}


@pytest.mark.parametrize("table", sorted(MODELS))
def test_keys_indexes_and_ttl_agree(tables, table):
    declared, model = tables[table], MODELS[table]
    assert _keys(declared["KeySchema"]) == _model_keys(model)
    indexes = {
        index.Meta.index_name: {
            "HASH" if a.is_hash_key else "RANGE": a.attr_name
            for a in index.Meta.attributes.values()
        }
        for index in model._indexes.values()
    }
    assert indexes == {
        index["IndexName"]: _keys(index["KeySchema"])
        for index in declared.get("GlobalSecondaryIndexes", [])
    }
    ttl = [n for n, a in model.get_attributes().items() if isinstance(a, TTLAttribute)]
    declared_ttl = declared.get("TimeToLiveSpecification", {}).get("AttributeName")
    assert ttl == ([declared_ttl] if declared_ttl else [])
