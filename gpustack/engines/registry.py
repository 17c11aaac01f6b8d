"""Backend names → engines, and which engine a model gets when the user names none."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from gpustack.engines.base import Category, Engine, ModelFormat, ModelProfile
from gpustack.engines.custom import CustomEngine
from gpustack.engines.diffusers_images import DiffusersEngine
from gpustack.engines.llamacpp import LlamaCppEngine
from gpustack.engines.onnx_embeddings import OnnxEmbeddingsEngine
from gpustack.engines.piper_tts import PiperEngine
from gpustack.engines.sglang import SGLangEngine
from gpustack.engines.st_embeddings import SentenceTransformersEngine
from gpustack.engines.vllm import VLLMEngine
from gpustack.engines.whisper_stt import FasterWhisperEngine

LLAMA_CPP = "llama.cpp"
VLLM = "vllm"
SGLANG = "sglang"
CUSTOM = "custom"
ONNX_EMBEDDINGS = OnnxEmbeddingsEngine.name
FASTER_WHISPER = FasterWhisperEngine.name
PIPER = PiperEngine.name
DIFFUSERS = DiffusersEngine.name
SENTENCE_TRANSFORMERS = SentenceTransformersEngine.name


class UnknownEngineError(KeyError):
    """No engine is registered under that backend name."""


class EngineRegistry(Mapping[str, Engine]):
    """An immutable mapping of backend name to engine."""

    def __init__(self, engines: Sequence[Engine]) -> None:
        self._engines: Mapping[str, Engine] = MappingProxyType({e.name: e for e in engines})

    def __getitem__(self, name: str) -> Engine:
        try:
            return self._engines[name]
        except KeyError:
            known = ", ".join(sorted(self._engines))
            raise UnknownEngineError(f"unknown backend {name!r}; known: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._engines)

    def __len__(self) -> int:
        return len(self._engines)

    def default_for(
        self,
        profile: ModelProfile,
        categories: Sequence[Category] = (),
        *,
        gpu_available: bool = True,
    ) -> Engine:
        """The engine a deployment gets when it names no backend."""
        return self[default_engine_for(profile, categories, gpu_available=gpu_available)]


def default_registry() -> EngineRegistry:
    """The engines this package ships."""
    return EngineRegistry(
        [
            LlamaCppEngine(),
            VLLMEngine(),
            SGLangEngine(),
            CustomEngine(),
            OnnxEmbeddingsEngine(),
            FasterWhisperEngine(),
            PiperEngine(),
            DiffusersEngine(),
            SentenceTransformersEngine(),
        ]
    )


def default_engine_for(
    profile: ModelProfile,
    categories: Sequence[Category] = (),
    *,
    gpu_available: bool = True,
) -> str:
    """The backend name for a model: llama.cpp for GGUF, vLLM for Hugging Face weights on GPU,
    the built-in CPU engines for ONNX, CTranslate2 whisper, piper voices and diffusers, and
    sentence-transformers for Hugging Face text encoders without a GPU.

    Raises UnknownEngineError when no shipped engine serves it (e.g. a Hugging Face LLM
    without a GPU).
    """
    wanted = tuple(categories) or profile.categories
    if profile.format == ModelFormat.GGUF:
        return LLAMA_CPP
    for builtin in (
        OnnxEmbeddingsEngine(),
        PiperEngine(),
        FasterWhisperEngine(),
        DiffusersEngine(),
    ):
        if builtin.serves(profile, wanted):
            return builtin.name
    if profile.format == ModelFormat.SAFETENSORS and gpu_available:
        if VLLMEngine().serves(profile, wanted):
            return VLLM
        if SGLangEngine().serves(profile, wanted):
            return SGLANG
    if profile.format == ModelFormat.SAFETENSORS and not gpu_available:
        # Text encoders are small enough for a CPU; LLMs in safetensors are not.
        if SentenceTransformersEngine().serves(profile, wanted):
            return SENTENCE_TRANSFORMERS
    where = "" if gpu_available else " without a GPU"
    raise UnknownEngineError(
        f"no engine serves {profile.format.value} models for {[str(c) for c in wanted]}{where}"
    )
