"""The task state machine against real local DynamoDB servers (moto and DynamoDB Local)."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bzzz.errors import LeaseLostError, TaskNotFoundError, TransitionError
from bzzz.review.feedback import Feedback
from bzzz.tasks.keys import task_key
from bzzz.tasks.lifecycle import CONTROL_PLANE_ACTOR, Actor, Lifecycle
from bzzz.tasks.rules import RULES, ActorKind
from bzzz.tasks.states import State


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


@pytest.fixture(scope="module")
def numbers():
    """Issue numbers unique within the module's stack (tests share its tables)."""
    return itertools.count(1000)


@pytest.fixture
def lifecycle(dynamodb_settings, clock, recorder):
    return Lifecycle(dynamodb_settings, publisher=recorder, clock=clock)


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


@pytest.mark.parametrize("ended", ["completed", "failed", "cancelled"])
def test_an_event_no_newer_than_a_finished_tasks_summons_does_not_create_it_again(
    lifecycle, clock, numbers, ended
):
    """A redelivered `labeled` (GitHub's redelivery after an outage) must not redo the work."""
    number = next(numbers)
    labelled_at = clock.now - 1  # GitHub's clock, just before the delivery arrived
    task, _ = lifecycle.create("octo/repo", number, "t", event_at=labelled_at)
    if ended == "cancelled":
        lifecycle.cancel(task.key, "label removed")
    else:
        lifecycle.claim(task.key, "agent-a")
        lifecycle.start(task.key, "agent-a")
        if ended == "completed":
            lifecycle.complete(task.key, "agent-a", "http://github.test/o/r/pull/1", "b")
        else:
            lifecycle.fail(task.key, "agent-a", "boom", "b")
    before = lifecycle.get(task.key)
    clock.now += 600

    again, created = lifecycle.create("octo/repo", number, "t", event_at=labelled_at)

    assert not created and again.state == ended
    after = lifecycle.get(task.key)
    assert (after.version, after.pr_url, after.reason, after.branch) == (
        before.version, before.pr_url, before.reason, before.branch
    )  # fmt: skip
    # The issue labelled again later is a new, explicit request: one second is enough.
    renewed, created = lifecycle.create("octo/repo", number, "t", event_at=labelled_at + 1)
    assert created and renewed.state == State.QUEUED and renewed.pr_url is None
    assert renewed.summoned_at == labelled_at + 1


def test_a_task_made_without_an_event_time_is_judged_by_its_creation(lifecycle, clock, numbers):
    number = next(numbers)
    task, _ = lifecycle.create("octo/repo", number, "t")  # the poll: no event time
    lifecycle.cancel(task.key, "label removed")
    old, created = lifecycle.create("octo/repo", number, "t", event_at=task.created_at - 5)
    assert not created and old.state == "cancelled"
    clock.now += 10
    new, created = lifecycle.create("octo/repo", number, "t", event_at=clock.now - 1)
    assert created and new.state == State.QUEUED


def test_an_event_time_changes_nothing_for_an_absent_or_active_task(lifecycle, clock, numbers):
    number = next(numbers)
    first, created = lifecycle.create("octo/repo", number, "t", event_at=clock.now - 3600)
    assert created and first.state == State.QUEUED  # absent: made, however old the event
    again, created = lifecycle.create("octo/repo", number, "t", event_at=clock.now + 3600)
    assert not created and again.version == first.version  # active: never replaced


# ----- the rule table, stated literally ------------------------------------------------
#
# Every legal move: (rule, from, situation) -> (state after, lease owner after).
# Every other (rule, from, situation) must be refused and change nothing.
# Situations: NOW - just arrived in the state (a lease is held by agent-a);
# LATER - a lease length later (the lease expired; a queued task is stale);
# LAST - LATER, on the last attempt. ABSENT is a task that does not exist.
ABSENT = "absent"
NOW, LATER, LAST = "now", "later", "last"
Q, C, R = State.QUEUED, State.CLAIMED, State.RUNNING
DONE, FAILED, ESC, CANC = State.COMPLETED, State.FAILED, State.ESCALATED, State.CANCELLED

LEGAL = {
    ("create", ABSENT, NOW): (Q, None),
    ("create_missed", ABSENT, NOW): (Q, None),
    ("create", DONE, NOW): (Q, None),
    ("create", FAILED, NOW): (Q, None),
    ("create", CANC, NOW): (Q, None),
    ("create", DONE, LATER): (Q, None),
    ("create", FAILED, LATER): (Q, None),
    ("create", CANC, LATER): (Q, None),
    ("claim", Q, NOW): (C, "agent-b"),
    ("claim", Q, LATER): (C, "agent-b"),
    ("take_over", C, LATER): (C, "agent-b"),
    ("take_over", R, LATER): (C, "agent-b"),
    ("heartbeat", C, NOW): (C, "agent-a"),
    ("heartbeat", R, NOW): (R, "agent-a"),
    ("start", C, NOW): (R, "agent-a"),
    ("complete", R, NOW): (DONE, None),
    ("fail", C, NOW): (FAILED, None),
    ("fail", R, NOW): (FAILED, None),
    ("escalate", C, NOW): (ESC, None),
    ("escalate", R, NOW): (ESC, None),
    ("release", C, NOW): (Q, None),
    ("release", R, NOW): (Q, None),
    ("expire", C, LATER): (Q, None),
    ("expire", R, LATER): (Q, None),
    ("give_up", C, LAST): (FAILED, None),
    ("give_up", R, LAST): (FAILED, None),
    ("resume", ESC, NOW): (Q, None),
    ("resume", ESC, LATER): (Q, None),
    ("republish", Q, LATER): (Q, None),
    ("cancel", Q, NOW): (CANC, None),
    ("cancel", Q, LATER): (CANC, None),
    ("cancel", C, NOW): (CANC, None),
    ("cancel", C, LATER): (CANC, None),
    ("cancel", C, LAST): (CANC, None),
    ("cancel", R, NOW): (CANC, None),
    ("cancel", R, LATER): (CANC, None),
    ("cancel", R, LAST): (CANC, None),
    ("cancel", ESC, NOW): (CANC, None),
    ("cancel", ESC, LATER): (CANC, None),
    ("revise", DONE, NOW): (Q, None),
    ("revise", DONE, LATER): (Q, None),
}

# Who makes each rule in the table test: the owner's rules are made by agent-a (the
# owner), a claim by agent-b, the rest by the control plane or a human.
ACTORS = {
    "create": CONTROL_PLANE_ACTOR,
    "create_missed": CONTROL_PLANE_ACTOR,
    "claim": Actor(ActorKind.RUNNER, "agent-b"),
    "take_over": Actor(ActorKind.RUNNER, "agent-b"),
    "heartbeat": Actor(ActorKind.OWNER, "agent-a"),
    "start": Actor(ActorKind.OWNER, "agent-a"),
    "complete": Actor(ActorKind.OWNER, "agent-a"),
    "fail": Actor(ActorKind.OWNER, "agent-a"),
    "escalate": Actor(ActorKind.OWNER, "agent-a"),
    "release": Actor(ActorKind.OWNER, "agent-a"),
    "expire": CONTROL_PLANE_ACTOR,
    "give_up": CONTROL_PLANE_ACTOR,
    "resume": Actor.human("maintainer"),
    "republish": CONTROL_PLANE_ACTOR,
    "cancel": Actor.human("maintainer"),
    "revise": CONTROL_PLANE_ACTOR,
}
STATES = [ABSENT, *State]
SITUATIONS = {ABSENT: [NOW], **{s: [NOW, LATER] for s in State}, C: [NOW, LATER, LAST],
              R: [NOW, LATER, LAST]}  # fmt: skip
CASES = [
    (rule, state, situation)
    for rule in ACTORS
    for state in STATES
    for situation in SITUATIONS[state]
]


def test_the_table_names_every_rule_and_only_real_cases():
    assert set(ACTORS) == set(RULES)
    assert set(LEGAL) <= set(CASES)


def drive_to(lifecycle: Lifecycle, clock, settings, state, situation: str, number: int) -> str:
    """A task in `state` (agent-a holding the lease where one applies), then the situation."""
    key = task_key("octo/repo", number)
    if state == ABSENT:
        return key
    lifecycle.create("octo/repo", number, f"issue {number}")
    if state in (C, R, DONE, FAILED, ESC):
        lifecycle.claim(key, "agent-a")
    if situation == LAST:  # take it over until the last attempt, agent-a holding it again
        for _ in range(settings.max_attempts - 1):
            clock.now += settings.lease_seconds + 1
            lifecycle.claim(key, "agent-a")
    if state in (R, DONE):
        lifecycle.start(key, "agent-a")
    moves = {DONE: lambda: lifecycle.complete(key, "agent-a", "http://github.test/o/r/pull/1"),
             FAILED: lambda: lifecycle.fail(key, "agent-a", "boom"),
             ESC: lambda: lifecycle.escalate(key, "agent-a", "stuck"),
             CANC: lambda: lifecycle.cancel(key, "label removed")}  # fmt: skip
    if state in moves:
        moves[state]()
    if situation in (LATER, LAST):
        clock.now += settings.lease_seconds + 1
    assert lifecycle.get(key).state == state
    return key


def apply(lifecycle: Lifecycle, rule: str, key: str, clock):
    if rule == "revise":  # a writer's review, quiet since (only a task with a PR takes it)
        Feedback(lifecycle._settings, lifecycle._db).add(key, "review:1", clock.now - 1)
    new = {"repo": "octo/repo", "number": int(key.rsplit("#")[1]), "title": "t",
           "created_at": clock.now}  # fmt: skip
    fields = {
        "create": new, "create_missed": new, "complete": {"pr_url": "http://github.test/o/r/pull/2"},
    }.get(rule, {"reason": f"{rule} in the table test"})  # fmt: skip
    return lifecycle.apply(rule, key, ACTORS[rule], fields, stale_before=clock.now - 60,
                           quiet_before=clock.now)  # fmt: skip


@pytest.mark.parametrize(
    ("state", "situation"),
    [(state, situation) for state in STATES for situation in SITUATIONS[state]],
    ids=str,
)
def test_every_rule_from_every_state(lifecycle, clock, recorder, dynamodb_settings, numbers,
                                     state, situation):  # fmt: skip
    """Each legal move on a fresh task; each refused rule on one shared task (changes nothing)."""
    refused_on = drive_to(lifecycle, clock, dynamodb_settings, state, situation, next(numbers))
    before = lifecycle.get(refused_on)
    for rule in RULES:
        expected = LEGAL.get((rule, state, situation))
        if expected is None:
            sent = len(recorder.published)
            with pytest.raises(TransitionError) as refused:
                apply(lifecycle, rule, refused_on, clock)
            assert refused.value.state == (None if state == ABSENT else state), rule
            after = lifecycle.get(refused_on)
            assert (after and after.version) == (before and before.version), rule
            assert len(recorder.published) == sent, rule
            continue
        key = drive_to(lifecycle, clock, dynamodb_settings, state, situation, next(numbers))
        version = lifecycle.get(key).version if state != ABSENT else 0
        sent = len(recorder.published)
        task = apply(lifecycle, rule, key, clock)
        assert (task.state, task.lease_owner) == expected, rule
        assert task.version == version + 1, rule
        message = RULES[rule].message
        shown = [str(m.type) for m in recorder.published[sent:]]
        assert shown == ([str(message)] if message else []), rule


@pytest.mark.parametrize(
    ("rule", "actor"),
    [("fail", CONTROL_PLANE_ACTOR), ("claim", Actor.human("someone")),
     ("expire", Actor(ActorKind.OWNER, "agent-a")), ("create", Actor(ActorKind.RUNNER, "r"))],
    ids=str,
)  # fmt: skip
def test_a_rule_is_refused_to_an_actor_it_does_not_name(lifecycle, clock, dynamodb_settings,
                                                         numbers, rule, actor):  # fmt: skip
    key = drive_to(lifecycle, clock, dynamodb_settings, C, NOW, next(numbers))
    with pytest.raises(TransitionError) as refused:
        lifecycle.apply(rule, key, actor, {"reason": "x"})
    assert f"not {actor.kind}" in refused.value.reason
    assert lifecycle.get(key).state == C


@pytest.mark.parametrize("transition", ["heartbeat", "start", "fail", "escalate", "release"])
def test_a_non_owner_can_change_nothing(lifecycle, clock, dynamodb_settings, numbers, transition):
    key = drive_to(lifecycle, clock, dynamodb_settings, C, NOW, next(numbers))
    with pytest.raises(LeaseLostError) as caught:
        lifecycle.apply(transition, key, Actor(ActorKind.OWNER, "agent-b"), {"reason": "x"})
    assert caught.value.owner == "agent-a"
    assert "agent-a" in str(caught.value)


def test_expired_lease_is_taken_over_and_old_owner_is_locked_out(
    lifecycle, clock, dynamodb_settings, numbers
):
    key = drive_to(lifecycle, clock, dynamodb_settings, R, NOW, next(numbers))
    with pytest.raises(TransitionError):
        lifecycle.claim(key, "agent-b")  # lease still held
    clock.now += dynamodb_settings.lease_seconds + 1
    taken = lifecycle.claim(key, "agent-b")
    assert taken.state == State.CLAIMED and taken.lease_owner == "agent-b" and taken.attempt == 2
    for transition in ("heartbeat", "start", "fail", "release"):
        with pytest.raises(LeaseLostError) as caught:
            lifecycle.apply(transition, key, Actor(ActorKind.OWNER, "agent-a"), {"reason": "x"})
        assert caught.value.owner == "agent-b"
    lifecycle.start(key, "agent-b")
    assert (
        lifecycle.complete(key, "agent-b", "http://github.test/o/r/pull/9").state == State.COMPLETED
    )


def test_take_over_on_the_last_attempt_is_refused_and_left_to_the_poll(
    lifecycle, clock, dynamodb_settings, numbers
):
    key = drive_to(lifecycle, clock, dynamodb_settings, R, LAST, next(numbers))
    with pytest.raises(TransitionError) as refused:
        lifecycle.claim(key, "agent-b")
    assert "no attempts left" in refused.value.reason
    failed = lifecycle.expire(key, refused.value.attempt, "lease expired")
    assert failed.state == State.FAILED and "gave up after" in failed.reason


def test_owner_whose_lease_expired_is_refused_even_before_takeover(
    lifecycle, clock, dynamodb_settings, numbers
):
    key = drive_to(lifecycle, clock, dynamodb_settings, R, NOW, next(numbers))
    clock.now += dynamodb_settings.lease_seconds + 1
    with pytest.raises(LeaseLostError) as caught:
        lifecycle.heartbeat(key, "agent-a")
    assert "expired" in caught.value.reason


def test_heartbeat_extends_the_lease(lifecycle, clock, dynamodb_settings, numbers):
    key = drive_to(lifecycle, clock, dynamodb_settings, R, NOW, next(numbers))
    clock.now += dynamodb_settings.lease_seconds - 1
    lifecycle.heartbeat(key, "agent-a")
    clock.now += dynamodb_settings.lease_seconds - 1
    with pytest.raises(TransitionError):
        lifecycle.claim(key, "agent-b")  # still held thanks to the heartbeat
    assert lifecycle.get(key).lease_owner == "agent-a"


def test_expiry_counts_attempts_and_gives_up_past_the_maximum(
    lifecycle, clock, dynamodb_settings, recorder, numbers
):
    key = drive_to(lifecycle, clock, dynamodb_settings, C, NOW, next(numbers))
    for expected_attempt in range(2, dynamodb_settings.max_attempts + 1):
        clock.now += dynamodb_settings.lease_seconds + 1
        requeued = lifecycle.expire(key, expected_attempt - 1, "lease expired")
        assert requeued.state == State.QUEUED and requeued.attempt == expected_attempt
        lifecycle.claim(key, "agent-a")
    clock.now += dynamodb_settings.lease_seconds + 1
    failed = lifecycle.expire(key, dynamodb_settings.max_attempts, "lease expired")
    assert failed.state == State.FAILED
    assert "gave up after" in failed.reason
    assert str(recorder.published[-1].type) == "task.failed"


def test_a_recreated_task_starts_clean(lifecycle, clock, dynamodb_settings, numbers):
    key = drive_to(lifecycle, clock, dynamodb_settings, DONE, NOW, next(numbers))
    renewed, created = lifecycle.create("octo/repo", int(key.rsplit("#")[1]), "again")
    assert created and renewed.state == State.QUEUED and renewed.attempt == 1
    assert renewed.pr_url is None and renewed.reason is None and renewed.lease_owner is None
    assert renewed.title == "again"


def test_escalated_task_returns_to_queued_on_resume(lifecycle, clock, dynamodb_settings, numbers):
    key = drive_to(lifecycle, clock, dynamodb_settings, ESC, NOW, next(numbers))
    task = lifecycle.resume(key, "human replied", Actor.human("maintainer"))
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


def test_a_new_holder_does_not_inherit_the_last_ones_reason(
    lifecycle, clock, dynamodb_settings, numbers
):
    """After a requeue, the final ✅ must not still say "lease expired"."""
    key = drive_to(lifecycle, clock, dynamodb_settings, State.CLAIMED, LATER, next(numbers))
    requeued = lifecycle.expire(key, 1, "lease expired")
    assert requeued.reason == "lease expired"  # while queued, it is the news
    claimed = lifecycle.claim(key, "agent-b")
    assert claimed.reason is None and claimed.attempt == 2
    lifecycle.start(key, "agent-b")
    done = lifecycle.complete(key, "agent-b", "http://github.test/o/r/pull/3")
    assert (done.state, done.reason) == (State.COMPLETED, None)


def test_each_state_change_is_kept_in_the_history_by_the_same_write(
    lifecycle, clock, dynamodb_settings, numbers
):
    """The history the dashboard charts: one entry per state entered, none for a heartbeat,
    and a finished task made again starts a new one."""
    from bzzz.hive.views import task_view

    task, _ = lifecycle.create("octo/repo", next(numbers), "t")
    times = [clock.now]
    for step in ("claim", "heartbeat", "start"):
        clock.now += 7.25
        times.append(clock.now)
        getattr(lifecycle, step)(task.key, "agent-a")
    clock.now += 1.5
    times.append(clock.now)
    done = lifecycle.complete(task.key, "agent-a", "http://github.test/octo/repo/pull/9", "b")
    assert [(float(at), state) for at, state in done.history] == [
        (times[0], "queued"), (times[1], "claimed"), (times[3], "running"),
        (times[4], "completed"),
    ]  # fmt: skip
    view = task_view(lifecycle.get(task.key))
    assert [h["state"] for h in view["history"]] == ["queued", "claimed", "running", "completed"]
    assert view["history"][1]["at"].endswith(".250Z")  # milliseconds kept
    clock.now += 60
    renewed, created = lifecycle.create("octo/repo", int(task.number), "again")
    assert created and [(float(a), s) for a, s in renewed.history] == [(clock.now, "queued")]
