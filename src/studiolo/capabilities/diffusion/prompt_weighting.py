"""AUTOMATIC1111 prompt syntax: attention weights, BREAK, LoRA tags, long prompts.

The syntax people paste from A1111 and Civitai: `(word)` multiplies attention
by 1.1, `((word))` by 1.21, `[word]` divides by 1.1, `(word:1.3)` sets 1.3,
`\\(` is a literal bracket, `BREAK` starts a new 75-token chunk and
`<lora:name:0.8>` asks for a LoRA. CLIP reads 75 tokens at a time, so longer
prompts are cut into chunks, each wrapped in BOS/EOS and encoded on its own,
and the hidden states are concatenated (the UNet's cross-attention does not
care how many tokens it attends to).
"""

from __future__ import annotations

import re
from typing import Any

from studiolo.core.errors import InvalidArgument

ROUND = 1.1  # A1111's multiplier for ( ) and divisor for [ ]
CHUNK = 75  # tokens per chunk, without BOS and EOS
BREAK = ("BREAK", -1.0)  # the marker parse_prompt_attention puts where BREAK was

# One token of the syntax per match: an escape, a bracket, a ":weight)" closing, plain text
# (anything without brackets, colons or backslashes), or a stray colon / backslash.
_TOKENS = re.compile(
    r"""
      \\[()\[\]\\]            # escaped bracket or backslash
    | :\s*([+-]?[.\d]+)\s*\)  # ":1.3)" closes a round bracket with an explicit weight
    | [()\[\]]                # a bracket
    | [^\\()\[\]:]+           # plain text
    | [\\:]                   # a lone backslash or colon is text
    """,
    re.VERBOSE,
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*")
_LORA = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>", re.IGNORECASE)


def parse_prompt_attention(text: str) -> list[tuple[str, float]]:
    """Split `text` into (fragment, weight) pairs, A1111-style.

    Brackets left open at the end apply to the rest of the prompt; a closing
    bracket with nothing open is kept as text. `BREAK` becomes ("BREAK", -1.0).
    Neighbouring fragments with the same weight are merged.

    >>> parse_prompt_attention("a (red:1.5) [cat]")
    [('a ', 1.0), ('red', 1.5), (' ', 1.0), ('cat', 0.9090909090909091)]
    """
    parts: list[list[Any]] = []  # [text, weight], mutable while brackets close
    open_round: list[int] = []
    open_square: list[int] = []

    def scale(start: int, factor: float) -> None:
        for part in parts[start:]:
            part[1] *= factor

    for match in _TOKENS.finditer(text):
        token, weight = match.group(0), match.group(1)
        if token.startswith("\\"):
            parts.append([token[1:], 1.0])
        elif token == "(":
            open_round.append(len(parts))
        elif token == "[":
            open_square.append(len(parts))
        elif weight is not None and open_round:
            scale(open_round.pop(), _weight(weight))
        elif token == ")" and open_round:
            scale(open_round.pop(), ROUND)
        elif token == "]" and open_square:
            scale(open_square.pop(), 1 / ROUND)
        else:
            for i, piece in enumerate(_BREAK.split(token)):
                if i:
                    parts.append(list(BREAK))
                parts.append([piece, 1.0])
    for start in open_round:
        scale(start, ROUND)
    for start in open_square:
        scale(start, 1 / ROUND)

    merged: list[tuple[str, float]] = []
    for piece, weight in parts:
        if piece == "" and (piece, weight) != BREAK:
            continue
        if merged and merged[-1][1] == weight and (piece, weight) != BREAK and merged[-1] != BREAK:
            merged[-1] = (merged[-1][0] + piece, weight)
        else:
            merged.append((piece, weight))
    return merged or [("", 1.0)]


def _weight(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "1.2.3" matches [.\d]+ but is no number
        raise InvalidArgument(f"Prompt weight {text!r} is not a number: write e.g. (word:1.2).") from None


def extract_lora_tags(text: str) -> tuple[str, list[tuple[str, float]]]:
    """Remove `<lora:name:weight>` tags from `text`; return the text and (name, weight) pairs.

    The weight defaults to 1.0; A1111's extra `:te:unet` fields are ignored.
    """
    found: list[tuple[str, float]] = []

    def take(match: re.Match[str]) -> str:
        name, weight = match.group(1).strip(), (match.group(2) or "").strip()
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise InvalidArgument(
                f"LoRA tag {match.group(0)!r} has weight {weight!r}, which is not a number: "
                "write <lora:name:0.8>."
            ) from None
        found.append((name, value))
        return ""

    cleaned = _LORA.sub(take, text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), found


# -- encoding -------------------------------------------------------------------------


def tokens_with_weights(tokenizer: Any, text: str) -> list[list[tuple[int, float]]]:
    """The prompt as chunks of at most 75 (token id, weight) pairs; BREAK ends a chunk."""
    chunks: list[list[tuple[int, float]]] = [[]]
    for piece, weight in parse_prompt_attention(text):
        if (piece, weight) == BREAK:
            chunks.append([])
            continue
        ids = tokenizer(piece, add_special_tokens=False, truncation=False)["input_ids"]
        for token in ids:
            if len(chunks[-1]) == CHUNK:
                chunks.append([])
            chunks[-1].append((token, weight))
    return chunks


def _pad_chunks(tokenizer: Any, chunks: list[list[tuple[int, float]]], count: int):
    """(ids, weights) tensors of shape (count, 77): BOS, tokens, EOS, then padding."""
    import torch

    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    chunks = chunks + [[] for _ in range(count - len(chunks))]
    ids, weights = [], []
    for chunk in chunks:
        row = [bos] + [t for t, _ in chunk] + [eos]
        w = [1.0] + [x for _, x in chunk] + [1.0]
        ids.append(row + [pad] * (CHUNK + 2 - len(row)))
        weights.append(w + [1.0] * (CHUNK + 2 - len(w)))
    return torch.tensor(ids), torch.tensor(weights)


def _encode_chunks(encoder: Any, ids, weights, layer: int | None, final_norm: bool):
    """Hidden states (1, chunks*77, dim) with A1111's mean-restoring weighting, and pooled."""
    import torch

    device = encoder.device
    outputs, pooled = [], None
    for chunk_ids, chunk_w in zip(ids, weights):
        out = encoder(chunk_ids[None].to(device), output_hidden_states=layer is not None)
        hidden = out.last_hidden_state if layer is None else out.hidden_states[layer]
        if layer is not None and final_norm:
            hidden = _final_layer_norm(encoder)(hidden)
        # Weighting (A1111): scale each token's vector, then rescale the whole chunk so
        # its mean is what it was, which keeps the overall magnitude the UNet expects.
        original_mean = hidden.mean()
        hidden = hidden * chunk_w.to(device, hidden.dtype)[None, :, None]
        new_mean = hidden.mean()
        # A layer-normed output can have a mean of (nearly) zero; dividing by it would
        # turn the prompt into NaNs, so such a chunk keeps the plain scaling.
        if new_mean.abs() > 1e-3 * hidden.abs().mean():
            hidden = hidden * (original_mean / new_mean)
        outputs.append(hidden)
        if pooled is None and hasattr(out, "text_embeds"):
            pooled = out.text_embeds  # the first chunk's pooled vector, as A1111 does
    return torch.cat(outputs, dim=1), pooled


def _final_layer_norm(encoder: Any) -> Any:
    # transformers 5 puts the norm on CLIPTextModel itself; 4.x under `.text_model`.
    norm = getattr(encoder, "final_layer_norm", None)
    return norm if norm is not None else encoder.text_model.final_layer_norm


def _check_clip_skip(encoder: Any, clip_skip: int, extra: int) -> None:
    layers = encoder.config.num_hidden_layers
    if clip_skip + extra > layers + 1:
        raise InvalidArgument(
            f"`clip_skip` is {clip_skip} but this text encoder has only {layers} layers: "
            f"use a value from 1 to {layers + 1 - extra}."
        )


def encode_prompt(pipe: Any, prompt: str, negative: str = "", *, clip_skip: int = 1) -> dict:
    """Pipeline kwargs for `prompt` and `negative` with A1111 weights and long-prompt chunks.

    SD 1.x/2.x: `prompt_embeds`, `negative_prompt_embeds`. SDXL (a pipe with
    `text_encoder_2`): the penultimate layers of both encoders concatenated,
    plus `pooled_prompt_embeds` and `negative_pooled_prompt_embeds` from the
    second. `clip_skip` counts like A1111: 1 is the usual layer, 2 one earlier.
    LoRA tags must already be removed (see `extract_lora_tags`).
    """
    import torch

    encoders = [
        (getattr(pipe, "tokenizer", None), getattr(pipe, "text_encoder", None)),
        (getattr(pipe, "tokenizer_2", None), getattr(pipe, "text_encoder_2", None)),
    ]
    encoders = [(t, e) for t, e in encoders if t is not None and e is not None]
    sdxl = getattr(pipe, "text_encoder_2", None) is not None
    # SDXL always reads the penultimate layer; SD reads the last unless clip_skip says so.
    extra = 1 if sdxl else 0
    for _, encoder in encoders:
        _check_clip_skip(encoder, clip_skip, extra)
    layer = None if (clip_skip == 1 and not sdxl) else -(clip_skip + extra)

    with torch.no_grad():
        pos_parts, neg_parts, pooled, neg_pooled = [], [], None, None
        for tokenizer, encoder in encoders:
            pos_chunks = tokens_with_weights(tokenizer, prompt)
            neg_chunks = tokens_with_weights(tokenizer, negative)
            count = max(len(pos_chunks), len(neg_chunks))
            for chunks, parts in ((pos_chunks, pos_parts), (neg_chunks, neg_parts)):
                ids, weights = _pad_chunks(tokenizer, chunks, count)
                hidden, pool = _encode_chunks(encoder, ids, weights, layer, final_norm=not sdxl)
                parts.append(hidden)
                if parts is pos_parts:
                    pooled = pool
                else:
                    neg_pooled = pool
        kwargs = {
            "prompt_embeds": torch.cat(pos_parts, dim=-1),
            "negative_prompt_embeds": torch.cat(neg_parts, dim=-1),
        }
        if sdxl:
            kwargs["pooled_prompt_embeds"] = pooled
            kwargs["negative_pooled_prompt_embeds"] = neg_pooled
            # SDXL was trained with zeros for an empty negative prompt (its config says so).
            if not negative.strip() and getattr(pipe.config, "force_zeros_for_empty_prompt", False):
                kwargs["negative_prompt_embeds"] = torch.zeros_like(kwargs["negative_prompt_embeds"])
                kwargs["negative_pooled_prompt_embeds"] = torch.zeros_like(neg_pooled)
    return kwargs
