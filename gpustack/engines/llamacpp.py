"""llama.cpp: GGUF chat, vision (mmproj), completions, embeddings and rerank, on CPU or GPU."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gpustack.engines.backend_parameters import (
    flag_value,
    has_flag,
    int_flag,
    positive_int_flag,
    without_flag,
)
from gpustack.engines.base import (
    Category,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.engines.llamacpp_context import default_context_size
from gpustack.engines.llamacpp_rpc import RPC_FLAG, find_rpc_llama_server
from gpustack.engines.profiles import locate_gguf_model

MIB = 1024 * 1024
# CUDA context plus llama.cpp's compute buffers on each GPU; measured 300-600 MiB for
# 1-8B models at the default batch sizes.
GPU_OVERHEAD_BYTES = 512 * MIB
# Process, HTTP server and host-side compute buffers.
RAM_OVERHEAD_BYTES = 256 * MIB
DEFAULT_PARALLEL = 4
# A user's own llama-server binary: this env var, or this backend parameter.
LLAMA_SERVER_ENV = "GPUSTACK_LLAMA_SERVER"
LLAMA_SERVER_FLAG = "--llama-server-path"
_CTX_FLAGS = ("--ctx-size", "-c")
_NGL_FLAGS = ("--n-gpu-layers", "-ngl", "--gpu-layers")
_PARALLEL_FLAGS = ("--parallel", "-np")


class LlamaCppEngine:
    """llama.cpp through the xllamacpp launcher, or a user's `llama-server` binary."""

    name = "llama.cpp"
    # xllamacpp ships CPU and CUDA wheels; a user's llama-server may be a Metal, ROCm,
    # SYCL or CANN build.
    runs_on = frozenset({"cpu", "cuda", "rocm", "metal", "xpu", "cann"})
    quirks = ResponseQuirks(
        rerank_returns_documents=False,
        rerank_sorted=True,
        rerank_returns_usage=True,
        embeddings_base64=True,
        rerank_scores_are_logits=True,
        closes_after_stream=True,  # cpp-httplib
    )

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        served = {Category.LLM, Category.EMBEDDING, Category.RERANKER}
        return profile.format == ModelFormat.GGUF and set(categories) <= served

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        context = self.context_size(profile, request)
        kv_bytes = profile.kv_bytes_per_token * context
        if request.gpu_count <= 0:
            ram = profile.weights_bytes + profile.extra_bytes + kv_bytes + RAM_OVERHEAD_BYTES
            return ResourceEstimate(
                ram_bytes=ram,
                offload_layers=0,
                note=f"CPU only, ctx {context}",
                context_length=context,
            )
        layers = profile.layer_count
        offload = self._offload_layers(profile, request)
        full = offload >= layers
        gpu_kv = kv_bytes * offload // layers if layers else kv_bytes
        gpu_layers_bytes = offload * profile.layer_bytes + gpu_kv
        if full:
            gpu_layers_bytes += profile.non_layer_bytes
        per_gpu = _spread(gpu_layers_bytes, request.gpu_count)
        # The projector runs on the main GPU beside the first layers.
        per_gpu[0] += profile.extra_bytes
        ram = (layers - offload) * profile.layer_bytes + (kv_bytes - gpu_kv) + RAM_OVERHEAD_BYTES
        if not full:
            ram += profile.non_layer_bytes
        note = f"{offload}/{layers} layers on {request.gpu_count} GPU(s), ctx {context}"
        return ResourceEstimate(
            ram_bytes=ram,
            vram_bytes_per_gpu=tuple(b + GPU_OVERHEAD_BYTES for b in per_gpu),
            offload_layers=offload,
            note=note,
            context_length=context,
        )

    def context_size(self, profile: ModelProfile, request: PlacementRequest) -> int:
        """The context an instance runs with: asked for, set by --ctx-size, or the default."""
        explicit = request.context_length or int_flag(request.backend_parameters, *_CTX_FLAGS)
        return explicit or default_context_size(profile.context_length)

    def _offload_layers(self, profile: ModelProfile, request: PlacementRequest) -> int:
        wanted = request.offload_layers
        if wanted is None:
            wanted = int_flag(request.backend_parameters, *_NGL_FLAGS)
        if wanted is None or wanted < 0:
            return profile.layer_count
        return min(wanted, profile.layer_count)

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        files = locate_gguf_model(ctx.model_path)
        user_params = list(ctx.backend_parameters)
        server_binary = flag_value(user_params, LLAMA_SERVER_FLAG) or ctx.env.get(LLAMA_SERVER_ENV)
        user_params = without_flag(user_params, LLAMA_SERVER_FLAG)
        if ctx.rpc_servers and not server_binary:
            # xllamacpp has no RPC backend: layers on other workers need a build that has.
            server_binary = find_rpc_llama_server(ctx.env, ctx.data_dir)
        argv: list[str]
        env: dict[str, str] = {}
        if server_binary:
            argv = [server_binary]
        else:
            argv = [sys.executable, "-m", "gpustack.engines.llamacpp_launcher"]
            env["PYTHONUNBUFFERED"] = "1"
        argv += ["--model", str(files.first), "--host", ctx.host, "--port", str(ctx.port)]
        argv += ["--alias", ctx.model_name]
        if ctx.context_length and not has_flag(user_params, *_CTX_FLAGS):
            argv += ["--ctx-size", str(ctx.context_length)]
        if not has_flag(user_params, *_PARALLEL_FLAGS):
            argv += ["--parallel", str(DEFAULT_PARALLEL)]
        if not has_flag(user_params, *_NGL_FLAGS):
            argv += ["--n-gpu-layers", str(_gpu_layers(ctx))]
        if Category.RERANKER in ctx.categories:
            argv.append("--reranking")
        elif Category.EMBEDDING in ctx.categories:
            argv.append("--embedding")
        elif files.mmproj is not None:
            argv += ["--mmproj", str(files.mmproj)]
        if ctx.rpc_servers and not has_flag(user_params, RPC_FLAG):
            argv += [RPC_FLAG, ",".join(ctx.rpc_servers)]
        argv += user_params
        return LaunchSpec(argv=argv, env=env, health_path="/health")

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """The server's slots: `--parallel` as given, else the value `build_launch` passes."""
        return positive_int_flag(backend_parameters, *_PARALLEL_FLAGS) or DEFAULT_PARALLEL


def _gpu_layers(ctx: LaunchContext) -> int:
    if not ctx.gpu_indexes:
        return 0
    # llama.cpp counts the output layer too; a large number means "everything".
    return 999 if ctx.offload_layers is None else ctx.offload_layers


def _spread(total: int, parts: int) -> list[int]:
    """Split bytes over GPUs as evenly as whole numbers allow."""
    share, remainder = divmod(total, parts)
    return [share + (1 if i < remainder else 0) for i in range(parts)]
