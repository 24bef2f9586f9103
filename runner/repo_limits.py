"""What a repository's `.bzzz.yml` may ask of this runner at most: the runner's maxima.

A `.bzzz.yml` is written by whoever controls the repository, so what it asks
for is clamped here: a budget, a command timeout or a context length above
the runner's maximum is lowered to the maximum (and the owner told so), and a
sandbox image is used only when the operator listed it. Set by the operator:

    BZZZ_MAX_ITERATIONS            model calls per task (default 100)
    BZZZ_MAX_WALL_CLOCK_SECONDS    wall clock per task (default 7200)
    BZZZ_MAX_TOKENS                tokens per task, prompt + generated (default 2000000)
    BZZZ_MAX_COMMAND_TIMEOUT       seconds per sandbox command (default 1800)
    BZZZ_MAX_NUM_CTX               model context length (default 32768)
    BZZZ_ALLOWED_IMAGES            images .bzzz.yml may name besides the runner's default
                                   (comma-separated; `*` matches any run of characters,
                                   e.g. `ghcr.io/acme/*`); none by default
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from bzzz.errors import ConfigError
from runner.agent.budgets import Budgets

if TYPE_CHECKING:
    from runner.repo_config import RepoConfig


@dataclass(frozen=True)
class RepoLimits:
    iterations: int = 100
    wall_clock_seconds: float = 7200.0
    tokens: int = 2_000_000
    command_timeout: float = 1800.0
    num_ctx: int = 32_768
    images: tuple[str, ...] = ()  # patterns; load_runner_settings adds the runner's default

    def allows_image(self, image: str) -> bool:
        return any(fnmatchcase(image, pattern) for pattern in self.images)


_VARIABLES = {
    "iterations": ("BZZZ_MAX_ITERATIONS", int),
    "wall_clock_seconds": ("BZZZ_MAX_WALL_CLOCK_SECONDS", float),
    "tokens": ("BZZZ_MAX_TOKENS", int),
    "command_timeout": ("BZZZ_MAX_COMMAND_TIMEOUT", float),
    "num_ctx": ("BZZZ_MAX_NUM_CTX", int),
}


def load_repo_limits(env: Mapping[str, str]) -> RepoLimits:
    """The maxima from the environment; ConfigError names a bad variable."""
    values: dict[str, object] = {}
    for field_name, (variable, kind) in _VARIABLES.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(variable, f"must be a {kind.__name__}, got {raw!r}") from None
        if value <= 0:
            raise ConfigError(variable, f"must be above 0, got {raw}")
        values[field_name] = value
    images = tuple(i.strip() for i in env.get("BZZZ_ALLOWED_IMAGES", "").split(",") if i.strip())
    return RepoLimits(**values, images=images)  # type: ignore[arg-type]


def clamp(
    config: RepoConfig, limits: RepoLimits | None = None, trusted_image: str | None = None
) -> RepoConfig:
    """`config` within the runner's maxima (the defaults when None); each change is a problem.

    `trusted_image` is the runner's own default, which needs no allow-listing.
    """
    limits = limits or RepoLimits()
    problems = list(config.problems)
    budgets = config.budgets
    defaults = Budgets()
    for key in ("iterations", "wall_clock_seconds", "tokens"):
        most = getattr(limits, key)
        if getattr(budgets, key) > most:
            asked = getattr(budgets, key) != getattr(defaults, key)
            budgets = replace(budgets, **{key: most})
            # A default above the operator's maximum was asked for by nobody: lowered quietly.
            if asked:
                problems.append(
                    f"`budgets.{key}`: above this runner's maximum; {_num(most)} is used"
                )
    changes: dict[str, Any] = {"budgets": budgets}
    for key, most in (("command_timeout", limits.command_timeout), ("num_ctx", limits.num_ctx)):
        value = getattr(config, key)
        if value is not None and value > most:
            changes[key] = most
            problems.append(f"`{key}`: above this runner's maximum; {_num(most)} is used")
    image = config.image
    if image is not None and image != trusted_image and not limits.allows_image(image):
        changes["image"] = None
        problems.append(
            "`image`: not an image this runner allows (its operator lists them in "
            "BZZZ_ALLOWED_IMAGES); the default image is used"
        )
    return replace(config, **changes, problems=tuple(problems))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
