"""Build the default sandbox image without a registry: debootstrap, then import.

    bzzz image build [--force]        # prints the image tag

The image holds Debian bookworm (minbase) with its Python 3.11 (`python3` and
`python`), pytest, pip, setuptools, wheel and venv, git and ca-certificates; a
`pytest` on PATH that runs `python3 -m pytest` (so both put the working directory
on sys.path), an /etc/pip.conf that lets `pip install --no-index -e .` work offline
(both files in runner/sandbox/images/default/, see their comments);
a non-root user `bzzz` (uid/gid 1000), workdir /workspace - the same content as
runner/sandbox/images/default/Dockerfile, which is for hosts with Docker and a registry.
It is tagged `bzzz-sandbox:<definition hash>` and `bzzz-sandbox:latest`; the
hash covers the Dockerfile and this recipe's data, and a build is skipped when the
hashed tag already exists. Building needs root (debootstrap) and a reachable
Debian mirror (the one apt uses, or BZZZ_DEBIAN_MIRROR); it takes about a
minute on two cores. The root filesystem tarball is kept host-wide
(`/var/cache/bzzz/rootfs-<hash>.tar`, see cache_dir), so another engine on the
same host imports it in seconds. The import goes through the docker SDK
(`POST /images/create?fromSrc=-`), so it works the same on Docker Engine and on
Podman's Docker-compatible service, and both get the same tags and the
`bzzz.image.definition` label.

Per-repository images: a repository may name another image (the `image` field
of its `.bzzz.yml`); the runner passes it as `SandboxConfig(image=...)`. Such an
image must exist on the engine (pulled or built by its owner), and should
provide bash, coreutils and a non-root user; the sandbox still runs it with
the user given in SandboxConfig, a read-only root, no network and no
capabilities, so an image cannot loosen the sandbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import ImageBuildError

if TYPE_CHECKING:
    import docker

REPOSITORY = "bzzz-sandbox"
DEFAULT_IMAGE = f"{REPOSITORY}:latest"
SUITE = "bookworm"
PACKAGES = (
    "python3",
    "python3-pytest",
    "python-is-python3",
    "python3-pip",
    "python3-setuptools",
    "python3-wheel",
    "python3-venv",
    "git",
    "ca-certificates",
)
UID = GID = 1000
DOCKERFILE = Path(__file__).parent / "default" / "Dockerfile"
# Files copied into the root filesystem as they are (the Dockerfile COPYs the same ones):
# path in the image -> (source next to the Dockerfile, mode).
_FILES = {
    "etc/pip.conf": (DOCKERFILE.with_name("pip.conf"), 0o644),
    "usr/local/bin/pytest": (DOCKERFILE.with_name("pytest"), 0o755),
}
# The `bzzz` user, appended to the root filesystem's files so the build needs no chroot.
_USER_LINES = {
    "etc/passwd": f"bzzz:x:{UID}:{GID}:Bzzz sandbox:/home/bzzz:/bin/bash\n",
    "etc/group": f"bzzz:x:{GID}:\n",
    "etc/shadow": "bzzz:!:19000:0:99999:7:::\n",
}
_TRIM = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
)
_CHANGES = (
    "USER bzzz",
    "WORKDIR /workspace",
    "ENV HOME=/home/bzzz",
    "ENV LANG=C.UTF-8",
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["/bin/bash"]',
)


def definition_hash() -> str:
    """12 hex digits over the image definition (the Dockerfile, its files, this recipe's data)."""
    files = sorted((path, source.read_text(), mode) for path, (source, mode) in _FILES.items())
    recipe = repr((SUITE, PACKAGES, UID, GID, _TRIM, _CHANGES, sorted(_USER_LINES.items()), files))
    digest = hashlib.sha256(DOCKERFILE.read_bytes() + recipe.encode())
    return digest.hexdigest()[:12]


def debian_mirror() -> str:
    """BZZZ_DEBIAN_MIRROR, else the first Debian (non-security) mirror apt is configured with."""
    if os.environ.get("BZZZ_DEBIAN_MIRROR"):
        return os.environ["BZZZ_DEBIAN_MIRROR"]
    parts = Path("/etc/apt/sources.list.d")
    sources = [Path("/etc/apt/sources.list"), *parts.glob("*.list"), *parts.glob("*.sources")]
    for source in sources:
        if source.is_file():
            urls: list[str] = re.findall(r"https?://\S+", source.read_text(errors="replace"))
            for url in urls:
                if url.rstrip("/").endswith("/debian"):
                    return url
    return "http://deb.debian.org/debian"


def ensure_default_image(
    client: docker.DockerClient, *, force: bool = False, log: Callable[[str], None] = print
) -> str:
    """Return `bzzz-sandbox:<hash>`, building it first unless it exists; also tags `latest`."""
    import docker

    tag = definition_hash()
    name = f"{REPOSITORY}:{tag}"
    lock_dir = cache_dir()
    # One build at a time per host: parallel test sessions would otherwise both debootstrap.
    with (lock_dir / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            image = None if force else client.images.get(name)
        except docker.errors.ImageNotFound:
            image = None
        if image is None:
            if force:  # from Debian again, e.g. for its security updates
                (lock_dir / f"rootfs-{tag}.tar").unlink(missing_ok=True)
            image = _build(client, lock_dir, tag, log)
        image.tag(REPOSITORY, "latest")
    return name


def cache_dir() -> Path:
    """Where the root filesystem tarball is kept: BZZZ_ROOTFS_CACHE, default /var/cache/bzzz.

    Host-wide, like the engines' own image stores, so a fresh checkout (CI's clone) feeding
    an engine that lacks the image (a new private dockerd) imports the tarball instead of
    bootstrapping Debian again. Where that is not writable (not root, when nothing can be
    built anyway), the state dir's images/.
    """
    chosen = Path(os.environ.get("BZZZ_ROOTFS_CACHE") or "/var/cache/bzzz")
    with contextlib.suppress(OSError):
        chosen.mkdir(parents=True, exist_ok=True)
        if os.access(chosen, os.W_OK):
            return chosen
    fallback = Path(os.environ.get("BZZZ_STATE_DIR") or ".bzzz") / "images"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _build(
    client: docker.DockerClient, work: Path, tag: str, log: Callable[[str], None]
) -> docker.models.images.Image:
    import docker

    tarball = work / f"rootfs-{tag}.tar"
    if not tarball.is_file():
        log(f"building {REPOSITORY}:{tag} from debootstrap ({SUITE}, {', '.join(PACKAGES)})")
        _rootfs(work, tarball)
    log(f"importing {tarball} as {REPOSITORY}:{tag}")
    try:
        # Podman ignores the import's repository/tag, so tag the id the engine reports (the
        # last `sha256:` in the reply: Docker streams progress lines before it).
        reply = client.api.import_image(
            src=str(tarball), changes=[*_CHANGES, f"LABEL bzzz.image.definition={tag}"]
        )
        image_id = re.findall(r"sha256:[0-9a-f]{64}", str(reply))[-1]
        image = client.images.get(image_id)
        image.tag(REPOSITORY, tag)
    except (docker.errors.DockerException, IndexError) as exc:
        raise ImageBuildError(f"importing the root filesystem failed: {exc}") from exc
    return image


def _rootfs(work: Path, tarball: Path) -> None:
    """Make the root filesystem `tarball` by debootstrap; tarballs of other definitions go.

    Kept (see cache_dir) because one host may feed several engines (Podman and a private
    dockerd, whose images die with it): each then imports it in seconds instead of
    bootstrapping Debian again.
    """
    if os.geteuid() != 0:
        raise ImageBuildError(
            "building the sandbox image needs root (debootstrap); run "
            "'sudo .venv/bin/bzzz image build', or build "
            "runner/sandbox/images/default/Dockerfile with Docker"
        )
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is missing: apt-get install debootstrap")
    for old in work.glob("rootfs-*.tar"):
        old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix="rootfs-") as tmp:
        root = Path(tmp) / "root"
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
              SUITE, str(root), debian_mirror()])  # fmt: skip
        _add_user(root)
        _add_files(root)
        for path in _TRIM:
            shutil.rmtree(root / path, ignore_errors=True)
        partial = Path(tmp) / "rootfs.tar"
        _run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."])
        partial.replace(tarball)  # whole or not at all: a killed build leaves no half tarball


def _add_user(root: Path) -> None:
    for name, line in _USER_LINES.items():
        with (root / name).open("a") as f:
            f.write(line)
    for directory in (root / "home/bzzz", root / "workspace"):
        directory.mkdir(parents=True, exist_ok=True)
        os.chown(directory, UID, GID)


def _add_files(root: Path) -> None:
    for path, (source, mode) in _FILES.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(mode)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-2000:]
        raise ImageBuildError(f"{command[0]} failed ({done.returncode}):\n{tail}")
