"""`bzzz ollama-emulator`: serve the Ollama API stand-in with a scenario, in the foreground."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ollama-emulator",
        help="serve a scripted stand-in for Ollama's HTTP API",
        description=(
            "Serve Ollama's HTTP API (/api/chat, /api/generate, /api/tags, /api/show, "
            "/api/ps, /api/version) answered from a scenario file. Point OLLAMA_HOST at it. "
            "Recorded requests: GET /_emulator/requests; replace the scenario: "
            "PUT /_emulator/scenario."
        ),
    )
    parser.add_argument("--scenario", required=True, help="scenario file (.yaml or .json)")
    parser.add_argument("--port", type=int, default=11434, help="port (default: 11434)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Imported here so that `bzzz --help` does not pay for uvicorn and Starlette.
    from infra.ollama_emulator.errors import ScenarioError
    from infra.ollama_emulator.server import serve_forever

    try:
        serve_forever(args.scenario, host=args.host, port=args.port)
    except (ScenarioError, OSError) as exc:
        print(f"bzzz ollama-emulator: {exc}")
        return 1
    return 0
