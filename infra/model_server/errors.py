"""Errors of the local model server, under the local backend's root so the CLI maps them to
one line."""

from __future__ import annotations

from infra.local_backend.errors import LocalBackendError


class ModelServerError(LocalBackendError):
    """The model server cannot be installed, its weights fetched or verified, or it did not
    start."""


class WeightsError(ModelServerError):
    """The model's weights could not be downloaded, or what arrived is not the pinned file."""
