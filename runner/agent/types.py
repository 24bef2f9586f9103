"""The agent's vocabulary: what it is given, what it reports, and how its loop is steered.

Control flow follows mini-swe-agent: a step ends the loop by raising one of a
small family of exceptions (AgentSignal), each carrying what the outcome or
the model needs to hear. None of them is an error of the runner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

OutcomeKind = Literal["finished", "help", "budget", "error"]


@dataclass(frozen=True)
class TaskBrief:
    key: str  # owner/repo#number
    repo: str
    number: int
    title: str
    body: str
    comments: list[tuple[str, str]] = field(default_factory=list)  # (author, body), writers only
    extra_context: list[str] = field(default_factory=list)  # peer feedback, human replies
    # A review round (runner.worker.review_round): the reviewers' feedback on the agent's
    # pull request, whose branch is checked out as it stands.
    review: str = ""


@dataclass(frozen=True)
class Step:
    iteration: int
    action: str  # the command run, or the tool's name for other tools
    exit_code: int | None  # None when nothing ran (finish, a format error)
    output_excerpt: str
    tokens_used: int  # all tokens so far
    elapsed: float  # seconds since the agent started
    duration: float = 0.0  # seconds the command took (0 when nothing ran)
    timed_out: bool = False  # the command hit its time limit and was killed


@dataclass(frozen=True)
class CommandRecord:
    command: str
    exit_code: int
    duration: float


TEST_OUTPUT_KEPT = 4000  # characters of the test run's output tail: the PR shows 3000


@dataclass(frozen=True)
class TestRun:
    """One run of the repository's test command in the sandbox (the one type for it)."""

    __test__ = False  # not a pytest test class, whatever its name

    command: str
    exit_code: int
    output: str  # its tail, at most TEST_OUTPUT_KEPT characters

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    summary: str  # the model's summary (finished), else a description of how it ended
    question: str | None = None  # kind == "help"
    reason: str | None = None  # kind in ("budget", "error"): e.g. "loop detected: ..."
    commands: list[CommandRecord] = field(default_factory=list)
    iterations: int = 0
    tokens: int = 0
    limit: str | None = None  # kind == "budget": iterations|wall_clock|tokens|loop|red_finishes
    test: TestRun | None = None  # the last run of the test command by the agent, if any
    # kind == "error": the exception's own words (engine or model output, host paths), for
    # the runner's log and the trajectory only; `summary` and `reason` say it publicly.
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class AgentSignal(Exception):  # control flow, not an error
    """Ends a step in a way the loop must handle."""


class Submitted(AgentSignal):
    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


class AskedForHelp(AgentSignal):
    """The model asked for help: through the tool or marker, or its words said it is stuck."""

    def __init__(self, question: str, trigger: str = "ask_for_help") -> None:
        super().__init__(question)
        self.question = question
        self.trigger = trigger


class LimitsExceeded(AgentSignal):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class FormatError(AgentSignal):
    """The model's reply could not be acted upon; `message` is what the model is told."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
