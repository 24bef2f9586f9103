"""A rule's request is built once per shape and filled per call: same request as built fresh."""

from __future__ import annotations

import itertools

import pytest

from bzzz.tasks.rules import RULES
from bzzz.tasks.writes import Call, _render, render

FIELDS = [{}, {"reason": "why"}, {"pr_url": "https://x/pull/1", "branch": "b", "reason": None},
          {"repo": "o/r", "number": 7, "title": "t", "created_at": 1.5}]  # fmt: skip


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_cached_shape_renders_what_a_fresh_build_renders(name):
    rule = RULES[name]
    for fields, event_at in itertools.product(FIELDS, (None, 1700000000.25)):
        for actor, now in (("agent-1", 1700000001.5), ("agent-2", 1700000099.125)):
            call = Call(actor, now, 900, 3, stale_before=now - 60, event_at=event_at,
                        quiet_before=now - 30, max_rounds=3)  # fmt: skip
            assert render(rule, call, fields) == _render(rule, call, fields), (fields, call)


def test_the_call_values_are_its_own():
    """Two calls of one shape: each request carries its own actor and time."""
    claim = RULES["claim"]
    first = render(claim, Call("agent-1", 10.0, 900, 3), {})
    second = render(claim, Call("agent-2", 20.0, 900, 3), {})
    assert first["ExpressionAttributeValues"][":set_lease_owner"] == {"S": "agent-1"}
    assert second["ExpressionAttributeValues"][":set_lease_owner"] == {"S": "agent-2"}
    assert first["ExpressionAttributeValues"][":set_updated_at"] == {"N": "10.0"}
