"""moto server with DynamoDB's atomicity: `python -m infra.local_backend.moto_server -p PORT`.

moto's own server handles each request on its own thread, and its DynamoDB
backend checks a write's condition and stores the item without a lock, so two
concurrent conditional writes can both "win" (seen here: two audit appenders
taking the same seq, two claimers the same task). DynamoDB never allows that,
and Bzzz's guarantees rest on it. This launcher serves the same moto
application but runs DynamoDB requests one at a time; every other service
(SQS long polls included) stays concurrent.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_dynamodb = threading.Lock()


def serialize_dynamodb(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: DynamoDB JSON-protocol requests (X-Amz-Target DynamoDB_*) in turn."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return app(environ, start_response)
        with _dynamodb:
            # Produce the whole body inside the lock: the write happens while it runs.
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return wrapped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialize_dynamodb(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
