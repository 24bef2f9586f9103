"""The dockerd a test session starts stops with it: at its end, and when it is killed.

Each test runs a child pytest session with the project's engine fixtures
(tests/fixtures/containers.py) on one [docker] test that starts a sandbox, and
looks at the machine afterwards: no dockerd, containerd, shim or container of
that session is left. A third child has no dockerd on PATH and must fail, saying
what to install.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The child's tests. The first reports what its engine is made of (the daemon's pid, the
# container's init pid on the host), then, when told, waits to be killed.
CHILD = """
import json, os, time
from pathlib import Path
import pytest

@pytest.mark.parametrize("engine_kind", ["docker"], indirect=True)
def test_on_docker(container_engine, docker_client, sandbox_image):
    root = Path(container_engine.base_url.removeprefix("unix://")).parent
    box = docker_client.containers.run(
        sandbox_image, ["sleep", "infinity"], init=True, detach=True, network_mode="none",
        labels={"bzzz.runner": "pytest-lifetime-child"},
    )
    box.reload()
    report = {
        "root": str(root),
        "dockerd": int((root / "dockerd.pid").read_text()),
        "container_init": box.attrs["State"]["Pid"],
        "engine": docker_client.version()["Components"][0]["Name"],
    }
    Path(os.environ["REPORT"]).write_text(json.dumps(report))
    if os.environ.get("WAIT"):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the parent kills this session
            time.sleep(0.2)

@pytest.mark.parametrize("engine_kind", ["docker"], indirect=True)
def test_on_docker_again(container_engine):
    pass
"""

# The [docker] tests share the session's engine: the children need the image's root
# filesystem tarball (runner.sandbox.images.build.cache_dir), which the parent's
# sandbox_image makes sure of.
on_docker = pytest.mark.parametrize("engine_kind", ["docker"], indirect=True, scope="session")


def _child(tmp_path: Path, *, wait: bool = False, path: str | None = None) -> subprocess.Popen[str]:
    test = tmp_path / "test_child.py"
    test.write_text(CHILD)
    env = {**os.environ, "REPORT": str(tmp_path / "report.json")}
    env.pop("DOCKER_HOST", None)
    if wait:
        env["WAIT"] = "1"
    if path is not None:
        env["PATH"] = path
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.fixtures.containers",
         "-p", "no:cacheprovider", str(test), *(["-k", "not again"] if wait else [])],
        cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _mentioning(root: str) -> list[str]:
    """Live processes (a zombie has no command line) whose command line names `root`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if root.encode() in cmdline:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace")[:200])
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(report: dict[str, Any]) -> list[str]:
    """What of the child's engine is still there; [] when nothing is."""
    left = _mentioning(report["root"])
    pids = {key: report[key] for key in ("dockerd", "container_init")}
    return left + [f"pid {pid} ({key})" for key, pid in pids.items() if _alive(pid)]


@on_docker
def test_a_session_that_ends_stops_its_dockerd_and_leaves_nothing(sandbox_image, tmp_path):
    with _child(tmp_path) as child:
        out, _ = child.communicate(timeout=240)
    assert child.returncode == 0, out
    assert "2 passed" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["engine"] == "Engine"  # Docker Engine's /version, not Podman's
    assert _gone(report) == []
    assert not Path(report["root"]).exists()  # socket, exec root and data root removed


@on_docker
def test_a_killed_session_takes_its_dockerd_and_containers_with_it(sandbox_image, tmp_path):
    report_file = tmp_path / "report.json"
    with _child(tmp_path, wait=True) as child:
        deadline = time.monotonic() + 240
        while not report_file.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert report_file.exists(), child.communicate(timeout=30)[0] if child.poll() else ""
        report = json.loads(report_file.read_text())
        alive = _gone(report)  # the check sees the daemon, containerd, the shim, the container
        assert len(alive) >= 4, alive
        child.send_signal(signal.SIGKILL)  # no atexit, no finally: only the death signal
        child.communicate(timeout=30)
    try:
        deadline = time.monotonic() + 60
        while (left := _gone(report)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == []
    finally:
        # The killed session could not remove its directory (a later start removes such
        # leftovers once they are old): do it here, the data root's tmpfs first.
        subprocess.run(["umount", "-l", f"{report['root']}/data"], capture_output=True)
        subprocess.run(["rm", "-rf", str(report["root"])], check=True)


def test_without_dockerd_the_docker_tests_error_and_say_to_install_docker_io(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    with _child(tmp_path, path=str(empty)) as child:
        out, _ = child.communicate(timeout=120)
    assert child.returncode == 1, out
    # Errors in the engine fixture: a failed run (exit 1), never a pass or a skip.
    assert "2 errors" in out and "passed" not in out and "skipped" not in out
    assert "install Debian's docker.io" in out
    assert "Traceback" not in out
