"""`bzzz image build`: the default sandbox image, built without a registry."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "image",
        help="build the default sandbox image (debootstrap, then import; needs root)",
        description=(
            "Build the default sandbox image on the container engine that "
            "DOCKER_HOST names (or Podman's service, started for the build) and "
            "print its tag. A build is skipped when the tag of its definition exists."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="build (or find) the image and print its tag")
    build.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    build.set_defaults(func=_build)


def _build(args: argparse.Namespace) -> int:
    import sys

    from infra.container_engine import ContainerEngineError, container_engine
    from runner.errors import SandboxError
    from runner.sandbox.images.build import ensure_default_image

    try:
        with container_engine() as engine:
            print(ensure_default_image(engine.client(), force=args.force))
    except (SandboxError, ContainerEngineError) as exc:
        print(f"bzzz image build: {exc}", file=sys.stderr)
        return 1
    return 0
