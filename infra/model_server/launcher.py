"""Runs in the model server's own venv (never in the project's): xllamacpp's llama.cpp
server on one GGUF file, on loopback, until SIGTERM or SIGINT.

    .bzzz/model-server/venv/bin/python infra/model_server/launcher.py \
        --model M.gguf --alias NAME --port 8080 [--ctx 8192] [--max-reply 512] [--threads N]

It imports nothing of the project: that venv has xllamacpp only. The server
listens at once and answers /v1/models with 503 until the weights are loaded;
whoever starts this waits for a 200 there (infra/model_server/server.py).
`--max-reply` caps the tokens of one reply, so a small model that rambles (or
repeats itself) cannot hold a request until the context is full.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading


def main() -> None:
    parser = argparse.ArgumentParser(description="serve a GGUF model (OpenAI-compatible API)")
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--alias", required=True, help="the model's name in the API")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ctx", type=int, default=8192, help="context window (tokens)")
    parser.add_argument("--max-reply", type=int, default=512, help="tokens of one reply")
    parser.add_argument("--temp", type=float, default=0.2, help="sampling temperature")
    # Half the cores: llama.cpp's threads wait for each other at every layer, so one that
    # the sandbox or the stack preempts stalls them all; on a shared 2-core machine one
    # thread generates faster than two.
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    args = parser.parse_args()

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_predict = args.max_reply
    params.n_parallel = 1
    params.sampling.temp = args.temp  # an agent wants its likeliest call, not variety
    params.use_jinja = True  # the model's own chat template, which renders tool calls
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    server = xllamacpp.Server(params)  # serves from its own threads
    print(f"serving {args.alias} from {args.model} on http://{args.host}:{args.port}", flush=True)
    stop.wait()
    del server


if __name__ == "__main__":
    main()
