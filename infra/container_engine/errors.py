"""Errors of the container-engine finder, rooted in one base class."""

from __future__ import annotations


class ContainerEngineError(Exception):
    """Base of every error this package raises."""


class EngineNotFoundError(ContainerEngineError):
    """Neither Docker nor Podman is available; the message says what to install."""


class EngineStartError(ContainerEngineError):
    """Podman's service was started but never answered; the message holds its log tail."""
