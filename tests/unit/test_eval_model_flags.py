"""`bzzz eval`'s model flags (cli/eval.py): which fit together, what a bad combination says,
and how the per-instance budgets reach the runner (its BZZZ_MAX_* maxima)."""

from __future__ import annotations

import pytest

from cli.eval import EvalInputError, _check_model_flags, _runner_budgets, _wait_limit
from cli.main import build_parser


def parse(*flags: str):
    return build_parser().parse_args(["eval", "instances.jsonl", *flags])


@pytest.mark.parametrize(
    "flags",
    [
        (),
        ("--scripted", "none"),
        ("--model", "qwen2.5-coder:7b"),
        ("--model-api", "openai", "--model-url", "http://gpu:8080", "--model", "coder"),
        ("--model-url", "http://gpu:8080/v1", "--model", "coder"),  # the URL says openai
        ("--model-server", "local"),
        ("--model-server", "local", "--model", "qwen2.5-coder-1.5b"),
    ],
)
def test_combinations_that_fit(flags: tuple[str, ...]):
    _check_model_flags(parse(*flags))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--scripted", "gold", "--model", "m"), "--scripted and --model exclude each other"),
        (("--scripted", "gold", "--model-server", "local"), "--scripted and --model-server"),
        (("--model-server", "local", "--model-url", "http://x"), "runs its own server"),
        (("--model-server", "local", "--model", "llama3"), "--model is one of qwen2.5-coder"),
        (("--model-api", "openai", "--model", "m"), "needs --model-url URL and --model NAME"),
        (("--model-url", "http://gpu:8080"), "needs --model-url URL and --model NAME"),
        (("--model-api", "ollama", "--model-url", "http://x", "--model", "m"), "OLLAMA_HOST"),
        (("--model-url", "gpu:8080", "--model", "m"), "must be an http(s) URL, got 'gpu:8080'"),
        (("--iterations", "0"), "--iterations must be above 0, got 0"),
        (("--wall-clock", "-5"), "--wall-clock must be above 0, got -5.0"),
    ],
)
def test_combinations_that_do_not_fit_are_named(flags: tuple[str, ...], message: str):
    with pytest.raises(EvalInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _check_model_flags(parse(*flags))


def test_the_budgets_bound_each_instance_as_the_runner_s_maxima():
    args = parse("--model-server", "local", "--iterations", "8", "--wall-clock", "240")
    assert _runner_budgets(args) == {
        "BZZZ_MAX_ITERATIONS": "8", "BZZZ_MAX_WALL_CLOCK_SECONDS": "240",
    }  # fmt: skip
    assert _runner_budgets(parse("--tokens", "60000")) == {"BZZZ_MAX_TOKENS": "60000"}
    # The harness waits for the budget and what follows it, or its defaults.
    assert _wait_limit(args, real=True) == 240 * 1.5 + 600
    assert _wait_limit(parse(), real=True) == 2400 and _wait_limit(parse(), real=False) == 300
