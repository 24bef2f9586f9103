"""Budgets checked before a model call, and the detector of repeated command loops."""

from __future__ import annotations

import pytest

from runner.agent.budgets import BudgetClock, Budgets, LoopDetector
from runner.agent.types import LimitsExceeded


def test_each_budget_stops_with_its_kind():
    clock = BudgetClock(Budgets(iterations=3, tokens=100, wall_clock_seconds=60))
    clock.check(iterations=2, tokens=99)
    with pytest.raises(LimitsExceeded) as spent:
        clock.check(iterations=3, tokens=0)
    assert spent.value.kind == "iterations"
    with pytest.raises(LimitsExceeded) as spent:
        clock.check(iterations=0, tokens=100)
    assert spent.value.kind == "tokens"
    with pytest.raises(LimitsExceeded) as spent:
        BudgetClock(Budgets(wall_clock_seconds=0)).check(iterations=0, tokens=0)
    assert spent.value.kind == "wall_clock"


def test_the_same_result_three_times_is_a_loop():
    loops = LoopDetector(3)
    loops.add("ls", 0, "a\n")
    loops.add("ls", 0, "a\n")
    with pytest.raises(LimitsExceeded, match="`ls` gave the same result 3 times"):
        loops.add("ls", 0, "a\n")


def test_the_same_command_with_a_new_result_is_progress():
    loops = LoopDetector(3)
    for count in range(10):
        loops.add("wc -l < n", 0, f"{count}\n")


def test_an_a_b_a_b_cycle_is_a_loop_but_a_b_a_c_is_not():
    loops = LoopDetector(3)
    for command, output in [("A", "1"), ("B", "2"), ("A", "1"), ("C", "3"), ("A", "1")]:
        loops.add(command, 0, output)
    with pytest.raises(LimitsExceeded, match="`A` and `C` alternate"):
        loops.add("C", 0, "3")
