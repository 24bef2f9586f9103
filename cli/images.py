"""`bzzz image build`: the default sandbox image, built without a registry.

`bzzz image prune [--keep N]`: remove all but the N newest prepared images
(`bzzz-prep:*`, runner.prepare), as a runner does after each preparation.
"""

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
    prune = actions.add_parser(
        "prune", help="remove all but the newest prepared images (bzzz-prep:*); print their tags"
    )
    prune.add_argument(
        "--keep", type=int, default=None, help="how many to keep (default BZZZ_PREP_KEEP, 10)"
    )
    prune.set_defaults(func=_prune)


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


def _prune(args: argparse.Namespace) -> int:
    import os
    import sys

    from bzzz.errors import ConfigError
    from infra.container_engine import ContainerEngineError, container_engine
    from runner.prepare import load_prepare_settings, prune_prepared

    try:
        keep = load_prepare_settings(os.environ).keep if args.keep is None else args.keep
        if keep < 0:
            raise ConfigError("--keep", "must be 0 or more")
        with container_engine() as engine:
            for tag in prune_prepared(engine.client(), keep):
                print(tag)
    except (ConfigError, ContainerEngineError) as exc:
        print(f"bzzz image prune: {exc}", file=sys.stderr)
        return 1
    return 0
