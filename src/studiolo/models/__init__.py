"""Where weights come from: bundled, a local file or folder, the Hugging Face cache."""

from .refs import ModelSource, resolve_model
from .loading import load_pipeline

__all__ = ["ModelSource", "load_pipeline", "resolve_model"]
