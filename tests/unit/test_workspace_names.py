"""Task keys that slug alike (`a/b-c#1`, `a-b/c#1`) must not share a work tree or a trajectory."""

from __future__ import annotations


def test_distinct_task_keys_get_distinct_workspaces_and_trajectories(tmp_path):
    from runner.git.workspace import workspace_name
    from runner.worker.trajectory import Trajectory

    keys = ("a/b-c#1", "a-b/c#1", "A/b-c#1")
    assert len({workspace_name(key) for key in keys}) == len(keys)
    assert len({Trajectory(tmp_path, key, 1).path for key in keys}) == len(keys)
