"""One llama.cpp instance in its own process: `python -m gpustack.engines.llamacpp_launcher`.

xllamacpp runs llama.cpp's C++ HTTP server inside the Python process; this launcher maps
`llama-server`'s flag names onto its parameters, so one command line suits both, then stays
alive until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from gpustack.engines.llamacpp_context import default_context_size
from gpustack.engines.profiles import ModelProfileError, profile_model

_POOLING = ("none", "mean", "cls", "last", "rank")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gpustack.engines.llamacpp_launcher",
        description="Serve a GGUF model over OpenAI-compatible HTTP with llama.cpp (xllamacpp).",
    )
    parser.add_argument("-m", "--model", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("-a", "--alias", help="the model name clients send")
    parser.add_argument(
        "-c", "--ctx-size", type=int, help="context tokens (default: min(model, 8192))"
    )
    parser.add_argument("-np", "--parallel", type=int, default=4, help="concurrent slots")
    parser.add_argument("-ngl", "--n-gpu-layers", "--gpu-layers", type=int, default=0)
    parser.add_argument("-t", "--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-tb", "--threads-batch", type=int)
    parser.add_argument("-b", "--batch-size", type=int)
    parser.add_argument("-ub", "--ubatch-size", type=int)
    parser.add_argument("--mmproj", type=Path, help="vision projector GGUF")
    parser.add_argument("--embedding", "--embeddings", action="store_true")
    parser.add_argument("--reranking", "--rerank", action="store_true")
    parser.add_argument("--pooling", choices=_POOLING)
    parser.add_argument("-ctk", "--cache-type-k")
    parser.add_argument("-ctv", "--cache-type-v")
    parser.add_argument("--chat-template", help="a Jinja chat template overriding the model's")
    parser.add_argument("-s", "--seed", type=int)
    return parser


def build_params(args: argparse.Namespace) -> Any:
    """Translate parsed flags into `xllamacpp.CommonParams`."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(args.model)
    params.hostnames = [args.host]
    params.port = args.port
    if args.alias:
        params.model_alias = {args.alias}  # a set: a plain string would become its characters
    params.n_ctx = args.ctx_size or _default_context(args.model)
    params.n_parallel = args.parallel
    params.n_gpu_layers = args.n_gpu_layers
    # Keep the layer split the scheduler priced instead of llama.cpp's own fitting.
    params.fit_params = False
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads_batch or args.threads
    params.endpoint_metrics = True
    if args.batch_size:
        params.n_batch = args.batch_size
    if args.ubatch_size:
        params.n_ubatch = args.ubatch_size
    if args.mmproj:
        params.mmproj.path = str(args.mmproj)
    if args.embedding or args.reranking:
        params.embedding = True
    pooling = "rank" if args.reranking else args.pooling
    if pooling:
        params.pooling_type = getattr(
            xllamacpp.llama_pooling_type, f"LLAMA_POOLING_TYPE_{pooling.upper()}"
        )
    if args.cache_type_k:
        params.cache_type_k = getattr(xllamacpp.ggml_type, f"GGML_TYPE_{args.cache_type_k.upper()}")
    if args.cache_type_v:
        params.cache_type_v = getattr(xllamacpp.ggml_type, f"GGML_TYPE_{args.cache_type_v.upper()}")
    if args.chat_template:
        params.chat_template = args.chat_template
    if args.seed is not None:
        params.sampling.seed = args.seed
    return params


def _default_context(model: Path) -> int:
    try:
        return default_context_size(profile_model(model).context_length)
    except ModelProfileError:
        # llama.cpp reports an unreadable model better than we can; let it try.
        return default_context_size(0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"llama.cpp launcher: ignoring unsupported flags {unknown}", file=sys.stderr)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    import xllamacpp

    server = xllamacpp.Server(build_params(args))
    print(f"llama.cpp listening on {server.listening_address}", file=sys.stderr, flush=True)
    stop.wait()
    print("llama.cpp launcher: stopping", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    # Skip interpreter teardown: the C++ server threads need no cleanup and can stall it.
    sys.stderr.flush()
    os._exit(main())
