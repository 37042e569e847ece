"""Where weights come from: bundled, a local file or folder, the Hugging Face cache."""

from studiolo.models.hashing import file_sha256, model_hash, short_hash
from studiolo.models.loading import load_pipeline
from studiolo.models.lora import apply_loras, lora_metadata, parse_lora_arg
from studiolo.models.refs import ModelSource, resolve_model
from studiolo.models.safety import check_weights_file, read_safetensors_metadata

__all__ = [
    "ModelSource",
    "apply_loras",
    "check_weights_file",
    "file_sha256",
    "load_pipeline",
    "lora_metadata",
    "model_hash",
    "parse_lora_arg",
    "read_safetensors_metadata",
    "resolve_model",
    "short_hash",
]
