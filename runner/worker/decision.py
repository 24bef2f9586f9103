"""The attempt's decision record, written once the attempt has made its last transition.

Built from what the runner kept of the attempt: the trajectory (brief, steps,
outcome, what became of it, the final diff), the task's HMMM thread, and the
audit stream's head. Encrypted to the readers configured for the repository's
owner (bzzz.decisions: public keys only; the file is read again for every
record, so a rotation applies to the next record without a restart), stored at
`bzzz://OWNER/REPO/ISSUE[/round-N]/ATTEMPT`, its digest signed into the stream.

A record that cannot be written is logged, never fatal: the task has ended.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bzzz.decisions import Address, audit_point, load_recipients, publish
from bzzz.decisions.record import (
    MAX_COMMANDS,
    MAX_MESSAGES,
    MAX_OUTPUT,
    MAX_TEXT,
    Command,
    DecisionRecord,
    Diff,
    Message,
    Outcome,
    Times,
)
from runner.sandbox.output import OutputCap

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.decisions import Published
    from bzzz.threads import Entry

log = logging.getLogger(__name__)

RECORDED_RESULTS = ("completed", "failed", "escalated")  # released/abandoned: the attempt goes on
_MARKER_ROOM = 200  # OutputCap's "[... output cut ...]" line


def write_decision(
    settings: Settings,
    *,
    key: str,
    attempt: int,
    round_number: int,
    runner: str,
    result: str,
    events: Sequence[dict[str, Any]],
    note: Callable[[str, dict[str, Any]], None],
    thread: Callable[[str], list[Entry]] | None = None,
    pr_url: str | None = None,
) -> Published | None:
    """Write the record of an attempt that ended `result`; None when none is kept."""
    if result not in RECORDED_RESULTS or not (
        settings.decisions_bucket and settings.decision_recipients
    ):
        return None
    try:
        readers = load_recipients(settings.decision_recipients).readers(key.partition("#")[0])
        messages = _thread(key, thread)
        record = build_record(
            key=key, attempt=attempt, round_number=round_number, runner=runner, result=result,
            events=events, messages=messages, audit=audit_point(settings, key), pr_url=pr_url,
        )  # fmt: skip
        published = publish(settings, record, readers, note)
    except Exception as exc:  # the task has ended: a record lost is logged, not raised
        log.error("%s: the decision record was not written: %s", key, exc)
        return None
    log.info("%s: decision record %s for %s", key, published.address,
             ", ".join(("admin", *published.roles)))  # fmt: skip
    return published


def build_record(
    *,
    key: str,
    attempt: int,
    round_number: int,
    runner: str,
    result: str,
    events: Sequence[dict[str, Any]],
    messages: Sequence[Entry],
    audit: Any,
    pr_url: str | None = None,  # a review round's pull request (it opens none of its own)
) -> DecisionRecord:
    repo, _, number = key.partition("#")
    address = Address(repo, int(number), attempt, round_number)
    last = _last_of(events)
    outcome = (last.get("outcome") or {}).get("outcome") or {}  # the event holds the Outcome
    steps = [e["step"] for e in events if e.get("event") == "step" and e.get("step")]
    ran = [s for s in steps if s.get("exit_code") is not None]
    commands = tuple(_command(s) for s in ran[:MAX_COMMANDS])
    ended = last.get("pull_request") or last.get("failed") or {}
    diff = last.get("final_diff") or {}
    started = float(events[0]["ts"]) if events else time.time()
    return DecisionRecord(
        address=str(address), task=key, attempt=attempt, round=round_number, runner=runner,
        outcome=Outcome(
            result=result, kind=str(outcome.get("kind") or "setup"),
            reason=_text(ended.get("reason") or outcome.get("reason")),
            question=_text(outcome.get("question")), pr_url=ended.get("url") or pr_url,
            branch=ended.get("branch") or (last.get("pushed") or {}).get("branch"),
            verification=_text(ended.get("verification"), 2000),
        ),
        summary=_text(outcome.get("summary")) or "",
        plan=_plan(messages, runner, attempt),
        hmmm=tuple(
            Message(m.seq, m.sender[:200], m.type[:100], m.text[:MAX_TEXT], float(m.ts))
            for m in list(messages)[-MAX_MESSAGES:]
        ),
        commands=commands, commands_dropped=len(ran) - len(commands),
        diff=Diff(str(diff.get("diff") or ""), bool(diff.get("truncated"))),
        tokens=int(outcome.get("tokens") or 0),
        times=Times(started, round(time.time(), 3),
                    float(steps[-1]["elapsed"]) if steps else None),
        audit=audit, written_at=round(time.time(), 3),
    )  # fmt: skip


def _last_of(events: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest event of each kind, by kind."""
    return {str(e.get("event")): e for e in events}


def _command(step: dict[str, Any]) -> Command:
    cap = OutputCap(MAX_OUTPUT - _MARKER_ROOM)  # the sandbox's own head-and-tail cut
    cap.feed(str(step.get("output_excerpt") or "").encode("utf-8", errors="replace"))
    return Command(
        iteration=int(step.get("iteration") or 0), command=str(step.get("action") or "")[:2000],
        exit_code=int(step["exit_code"]), output=cap.text()[:MAX_OUTPUT], truncated=cap.truncated,
    )  # fmt: skip


def _plan(messages: Sequence[Entry], runner: str, attempt: int) -> str | None:
    """This attempt's plan as its author put it to the peers (hmmm.plan), if it did."""
    plans = [m for m in messages if m.type == "hmmm.plan" and m.sender == runner]
    mine = [m for m in plans if int(m.data.get("attempt") or 1) == attempt] or plans
    return mine[-1].text[:50_000] if mine else None


def _thread(key: str, thread: Callable[[str], list[Entry]] | None) -> list[Entry]:
    from bzzz.threads import entries

    try:
        return [m for m in (thread or entries)(key) if m.text.strip()]
    except Exception as exc:  # the record is still worth writing without the discussion
        log.warning("%s: the HMMM thread was not read for the decision record: %s", key, exc)
        return []


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return None if value is None else str(value)[:limit]
