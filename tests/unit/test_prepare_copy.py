"""The host copy of the work tree that a preparation container gets: nothing followed."""

from __future__ import annotations

import os
from pathlib import Path

from runner.prepare.copy import copy_tree


def test_links_stay_links_and_special_files_are_left_out(tmp_path: Path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("host secret\n")
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "mod.py").write_text("X = 1\n")
    os.symlink(host / "secret", tree / "leak")  # a link to a host file
    os.symlink(host, tree / "hostdir")  # a link to a host folder
    os.mkfifo(tree / "pipe")  # would block a reader for ever

    copy = tmp_path / "copy"
    copy_tree(tree, copy)

    assert (copy / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert (copy / "leak").is_symlink() and os.readlink(copy / "leak") == str(host / "secret")
    assert (copy / "hostdir").is_symlink()  # not a copy of the host's folder
    assert not (copy / "pipe").exists()
    assert sorted(p.name for p in copy.iterdir()) == ["hostdir", "leak", "pkg"]
