"""GPUStack-py: a GPU cluster manager for serving AI models."""

__version__ = "0.1.0"
