"""The task state machine against real local DynamoDB servers (moto and DynamoDB Local)."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bzzz.errors import LeaseLostError, TaskNotFoundError, TransitionError
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import RULES, State


class Clock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.published = []
        self.lock = threading.Lock()

    def publish(self, envelope):
        with self.lock:
            self.published.append(envelope)
        return envelope.id


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("moto", id="moto"),
        pytest.param("dynamodb-local", id="dynamodb-local", marks=pytest.mark.dynamodb_local),
    ],
)
def dynamodb_settings(request):
    """One stack per backend for this module: every test uses its own task numbers,
    so they share the tables and skip ~150 provisionings."""
    from tests.fixtures.aws import unique_stack_name

    backend = request.getfixturevalue(
        "local_aws" if request.param == "moto" else "dynamodb_local_aws"
    )
    return backend.settings(backend.provision(unique_stack_name()))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def lifecycle(dynamodb_settings, clock, recorder):
    return Lifecycle(dynamodb_settings, publisher=recorder, clock=clock)


def drive_to(lifecycle: Lifecycle, state: State, number: int) -> str:
    """A task in `state`, owned (where a lease applies) by agent-a."""
    task, _ = lifecycle.create("octo/repo", number, f"issue {number}")
    key = task.key
    steps = {
        State.QUEUED: [],
        State.CLAIMED: [lambda: lifecycle.claim(key, "agent-a")],
        State.RUNNING: [
            lambda: lifecycle.claim(key, "agent-a"),
            lambda: lifecycle.start(key, "agent-a"),
        ],
        State.COMPLETED: [
            lambda: lifecycle.claim(key, "agent-a"),
            lambda: lifecycle.start(key, "agent-a"),
            lambda: lifecycle.complete(key, "agent-a", "http://github.test/octo/repo/pull/1"),
        ],
        State.FAILED: [
            lambda: lifecycle.claim(key, "agent-a"),
            lambda: lifecycle.fail(key, "agent-a", "boom"),
        ],
        State.ESCALATED: [
            lambda: lifecycle.claim(key, "agent-a"),
            lambda: lifecycle.escalate(key, "agent-a", "stuck"),
        ],
        State.CANCELLED: [lambda: lifecycle.cancel(key, "label removed")],
    }[state]
    for step in steps:
        step()
    task_now = lifecycle.get(key)
    assert task_now is not None and task_now.state == state
    return key


def attempt(lifecycle: Lifecycle, transition: str, key: str, agent: str = "agent-a"):
    calls = {
        "claim": lambda: lifecycle.claim(key, agent),
        "heartbeat": lambda: lifecycle.heartbeat(key, agent),
        "start": lambda: lifecycle.start(key, agent),
        "complete": lambda: lifecycle.complete(key, agent, "http://github.test/octo/repo/pull/2"),
        "fail": lambda: lifecycle.fail(key, agent, "gave up"),
        "escalate": lambda: lifecycle.escalate(key, agent, "need a human"),
        "release": lambda: lifecycle.release(key, agent, "shutting down"),
        "requeue": lambda: lifecycle.requeue(key, "human replied"),
        "cancel": lambda: lifecycle.cancel(key, "issue closed"),
    }
    return calls[transition]()


def test_happy_path_emits_one_message_per_transition(lifecycle, recorder):
    task, created = lifecycle.create("octo/repo", 1, "Fix the off-by-one")
    assert created and task.state == State.QUEUED and task.attempt == 1
    lifecycle.claim(task.key, "agent-a")
    lifecycle.heartbeat(task.key, "agent-a")
    lifecycle.start(task.key, "agent-a")
    done = lifecycle.complete(
        task.key, "agent-a", "http://github.test/octo/repo/pull/3", "bzzz/1-fix"
    )
    assert done.state == State.COMPLETED
    assert done.lease_owner is None and done.pr_url.endswith("/pull/3")
    assert [str(m.type) for m in recorder.published] == [
        "task.available",
        "task.claimed",
        "task.progress",
        "task.completed",
    ]
    versions = [m.data.get("version") for m in recorder.published if "version" in m.data]
    assert versions == sorted(versions)
    for message in recorder.published:
        message.validate()


def test_create_is_idempotent_while_active_and_renews_after_terminal(lifecycle):
    first, created = lifecycle.create("octo/repo", 2, "t")
    again, created_again = lifecycle.create("octo/repo", 2, "t")
    assert created and not created_again and again.version == first.version
    lifecycle.cancel(first.key, "closed")
    renewed, created_renewed = lifecycle.create("octo/repo", 2, "t")
    assert created_renewed and renewed.state == State.QUEUED


# Which transitions each state allows; everything else must be refused.
ALLOWED = {
    (state, name)
    for name, rule in RULES.items()
    for state in rule.sources
    # requeue from a leased state needs an expired lease: refused while it is held.
    if not (name == "requeue" and state in {State.CLAIMED, State.RUNNING})
}


@pytest.mark.parametrize(
    ("state", "transition"),
    [pair for pair in itertools.product(State, RULES) if pair not in ALLOWED],
    ids=lambda v: str(v),
)
def test_illegal_transition_is_refused_and_changes_nothing(lifecycle, recorder, state, transition):
    number = 100 + list(State).index(state) * 20 + list(RULES).index(transition)
    key = drive_to(lifecycle, state, number)
    before = lifecycle.get(key)
    sent = len(recorder.published)
    with pytest.raises(TransitionError) as caught:
        attempt(lifecycle, transition, key)
    assert caught.value.state == state
    assert str(state) in str(caught.value)
    after = lifecycle.get(key)
    assert after.version == before.version and after.state == before.state
    assert len(recorder.published) == sent


@pytest.mark.parametrize(("state", "transition"), sorted(ALLOWED), ids=lambda v: str(v))
def test_legal_transition_by_the_owner_succeeds(lifecycle, state, transition):
    number = 500 + list(State).index(state) * 20 + list(RULES).index(transition)
    key = drive_to(lifecycle, state, number)
    task = attempt(lifecycle, transition, key)
    assert task.version > 1


@pytest.mark.parametrize("transition", ["heartbeat", "start", "fail", "escalate", "release"])
def test_a_non_owner_can_change_nothing(lifecycle, transition):
    key = drive_to(lifecycle, State.CLAIMED, 900 + list(RULES).index(transition))
    with pytest.raises(LeaseLostError) as caught:
        attempt(lifecycle, transition, key, agent="agent-b")
    assert caught.value.owner == "agent-a"
    assert "agent-a" in str(caught.value)


def test_expired_lease_is_taken_over_and_old_owner_is_locked_out(
    lifecycle, clock, dynamodb_settings
):
    key = drive_to(lifecycle, State.RUNNING, 950)
    with pytest.raises(TransitionError):
        lifecycle.claim(key, "agent-b")  # lease still held
    clock.now += dynamodb_settings.lease_seconds + 1
    taken = lifecycle.claim(key, "agent-b")
    assert taken.state == State.CLAIMED and taken.lease_owner == "agent-b" and taken.attempt == 2
    for transition in ("heartbeat", "start", "complete", "fail", "release"):
        with pytest.raises(LeaseLostError) as caught:
            attempt(lifecycle, transition, key, agent="agent-a")
        assert caught.value.owner == "agent-b"
    lifecycle.start(key, "agent-b")
    assert (
        lifecycle.complete(key, "agent-b", "http://github.test/o/r/pull/9").state == State.COMPLETED
    )


def test_owner_whose_lease_expired_is_refused_even_before_takeover(
    lifecycle, clock, dynamodb_settings
):
    key = drive_to(lifecycle, State.RUNNING, 951)
    clock.now += dynamodb_settings.lease_seconds + 1
    with pytest.raises(LeaseLostError) as caught:
        lifecycle.heartbeat(key, "agent-a")
    assert "expired" in caught.value.reason


def test_heartbeat_extends_the_lease(lifecycle, clock, dynamodb_settings):
    key = drive_to(lifecycle, State.RUNNING, 952)
    clock.now += dynamodb_settings.lease_seconds - 1
    lifecycle.heartbeat(key, "agent-a")
    clock.now += dynamodb_settings.lease_seconds - 1
    with pytest.raises(TransitionError):
        lifecycle.claim(key, "agent-b")  # still held thanks to the heartbeat
    assert lifecycle.get(key).lease_owner == "agent-a"


def test_requeue_after_expiry_counts_attempts_and_fails_past_the_maximum(
    lifecycle, clock, dynamodb_settings, recorder
):
    key = drive_to(lifecycle, State.CLAIMED, 953)
    for expected_attempt in range(2, dynamodb_settings.max_attempts + 1):
        clock.now += dynamodb_settings.lease_seconds + 1
        requeued = lifecycle.requeue(key, "lease expired")
        assert requeued.state == State.QUEUED and requeued.attempt == expected_attempt
        lifecycle.claim(key, "agent-a")
    clock.now += dynamodb_settings.lease_seconds + 1
    failed = lifecycle.requeue(key, "lease expired")
    assert failed.state == State.FAILED
    assert "gave up after" in failed.reason
    assert str(recorder.published[-1].type) == "task.failed"


def test_escalated_task_returns_to_queued_on_requeue(lifecycle):
    key = drive_to(lifecycle, State.ESCALATED, 954)
    task = lifecycle.requeue(key, "human replied")
    assert task.state == State.QUEUED and task.attempt == 1 and task.lease_owner is None


def test_unknown_task_is_named(lifecycle):
    with pytest.raises(TaskNotFoundError) as caught:
        lifecycle.claim("octo/repo#424242", "agent-a")
    assert caught.value.state is None and "no such task" in str(caught.value)


def test_exactly_one_winner_per_task_under_contention(dynamodb_settings, recorder):
    """50 claimers race for each of 200 tasks; every task ends with one owner."""
    clock = Clock()
    tasks = 200
    claimers = 50
    setup = Lifecycle(dynamodb_settings, publisher=recorder, clock=clock)
    keys = [setup.create("octo/race", n, "race")[0].key for n in range(1, tasks + 1)]

    wins: Counter[str] = Counter()
    winners: dict[str, list[str]] = {k: [] for k in keys}
    lock = threading.Lock()
    barrier = threading.Barrier(claimers)

    def claimer(index: int) -> None:
        agent = f"agent-{index:02d}"
        mine = Lifecycle(dynamodb_settings, clock=clock)
        order = keys[:]
        random.Random(index).shuffle(order)
        barrier.wait()
        for key in order:
            try:
                mine.claim(key, agent)
            except TransitionError as refused:
                assert refused.state == State.CLAIMED
                continue
            with lock:
                wins[agent] += 1
                winners[key].append(agent)

    with ThreadPoolExecutor(max_workers=claimers) as pool:
        list(pool.map(claimer, range(claimers)))

    assert all(len(w) == 1 for w in winners.values()), {
        k: w for k, w in winners.items() if len(w) != 1
    }
    for key in keys:
        task = setup.get(key)
        assert task.state == State.CLAIMED and task.lease_owner == winners[key][0]
    assert sum(wins.values()) == tasks
    assert len(wins) > 1  # the race really was a race
