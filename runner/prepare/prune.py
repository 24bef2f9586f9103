"""A bound on prepared images: all but the newest `keep` of `bzzz-prep:*` are removed.

Called after each new preparation (runner.prepare.image) and by `bzzz image
prune`. The order is the `bzzz.prep.at` label the commit sets (nanoseconds),
since the engines' own `Created` is in whole seconds; an image a sandbox still
uses cannot be removed and stays until the next time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker

log = logging.getLogger(__name__)

REPOSITORY = "bzzz-prep"
PREPARED_AT = "bzzz.prep.at"  # ns since the epoch: the engines' own `Created` is in seconds


def prune_prepared(
    client: docker.DockerClient, keep: int, repository: str = REPOSITORY
) -> list[str]:
    """Remove all but the `keep` newest `bzzz-prep:*` images; one in use stays. Their tags."""
    try:
        images = client.images.list(name=repository)
    except Exception as exc:
        log.warning("listing prepared images failed: %s", exc)
        return []
    images.sort(key=_prepared_at, reverse=True)
    removed = []
    for image in images[keep:]:
        for tag in image.tags:
            try:
                client.images.remove(tag, noprune=False)
                removed.append(tag)
            except Exception as exc:  # in use by a sandbox: it goes next time
                log.info("keeping prepared image %s: %s", tag, exc)
    return removed


def _prepared_at(image: Any) -> tuple[int, int]:
    label = str((image.labels or {}).get(PREPARED_AT, ""))
    created = image.attrs.get("Created", 0)
    return (int(label) if label.isdigit() else 0, created if isinstance(created, int) else 0)
