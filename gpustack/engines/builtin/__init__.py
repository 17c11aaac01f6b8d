"""Built-in CPU engines: small OpenAI-compatible servers, one module per engine.

Each runs as `python -m gpustack.engines.builtin.<name> --model-path P --port N ...`.
Their heavy libraries (onnxruntime, faster-whisper, piper, diffusers) are imported only by
the server that needs them, so importing this package costs nothing.
"""
