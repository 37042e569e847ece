"""A1111 prompt syntax and the weighted, chunked prompt encoding."""

from __future__ import annotations

import pytest
import torch

from studiolo.capabilities.diffusion.prompt_weighting import (
    encode_prompt,
    extract_lora_tags,
    parse_prompt_attention,
    tokens_with_weights,
)
from studiolo.core.errors import InvalidArgument

W = 1.1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a cat", [("a cat", 1.0)]),
        ("(word)", [("word", W)]),
        ("((word))", [("word", W * W)]),
        ("[word]", [("word", 1 / W)]),
        ("[[word]]", [("word", 1 / W / W)]),
        ("(word:1.3)", [("word", 1.3)]),
        ("( word : 0.5 )", [(" word ", 0.5)]),
        ("a (red:1.5) [cat]", [("a ", 1.0), ("red", 1.5), (" ", 1.0), ("cat", 1 / W)]),
        ("(a [b] c)", [("a ", W), ("b", 1.0), (" c", W)]),
        ("((a:1.5) b)", [("a", 1.5 * W), (" b", W)]),
        (r"\(literal\)", [("(literal)", 1.0)]),
        (r"\[x\] \\", [("[x] \\", 1.0)]),
        # Unbalanced, as A1111 reads it: an open bracket runs to the end, a stray close is text.
        ("a (b", [("a ", 1.0), ("b", W)]),
        ("a [b", [("a ", 1.0), ("b", 1 / W)]),
        ("a ) b", [("a ) b", 1.0)]),
        ("a ] b", [("a ] b", 1.0)]),
        ("a:1.2) b", [("a:1.2) b", 1.0)]),
        ("time: noon", [("time: noon", 1.0)]),
        ("x BREAK y", [("x", 1.0), ("BREAK", -1.0), ("y", 1.0)]),
        ("BREAKFAST", [("BREAKFAST", 1.0)]),
        ("", [("", 1.0)]),
    ],
)
def test_parse_prompt_attention_matches_a1111(text, expected):
    got = parse_prompt_attention(text)
    assert [t for t, _ in got] == [t for t, _ in expected]
    assert [w for _, w in got] == pytest.approx([w for _, w in expected])


def test_extract_lora_tags_removes_tags_and_reads_weights():
    text, loras = extract_lora_tags("a cat <lora:ink-wash:0.8> in rain <LORA:film> <lora:x:0.5:0.2>")
    assert text == "a cat in rain"
    assert loras == [("ink-wash", 0.8), ("film", 1.0), ("x", 0.5)]
    assert extract_lora_tags("plain") == ("plain", [])


def test_extract_lora_tags_refuses_a_weight_that_is_not_a_number():
    with pytest.raises(InvalidArgument) as info:
        extract_lora_tags("a cat <lora:ink:strong>")
    assert "'strong'" in str(info.value) and "<lora:name:0.8>" in str(info.value)


def test_bad_weight_number_is_an_invalid_argument():
    with pytest.raises(InvalidArgument, match="not a number"):
        parse_prompt_attention("(cat:1.2.3)")


# -- encoding ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sd_pipe(tiny_sd):
    from diffusers import DiffusionPipeline

    return DiffusionPipeline.from_pretrained(tiny_sd)


@pytest.fixture(scope="module")
def sdxl_pipe(tiny_sdxl):
    from diffusers import DiffusionPipeline

    return DiffusionPipeline.from_pretrained(tiny_sdxl)


def test_plain_prompt_encodes_exactly_like_diffusers(sd_pipe):
    ours = encode_prompt(sd_pipe, "a bowl", "astronaut")
    with torch.no_grad():
        pos, neg = sd_pipe.encode_prompt("a bowl", "cpu", 1, True, "astronaut")
    assert ours["prompt_embeds"].shape == (1, 77, 32)
    torch.testing.assert_close(ours["prompt_embeds"], pos)
    torch.testing.assert_close(ours["negative_prompt_embeds"], neg)


def test_sdxl_uses_both_encoders_like_diffusers(sdxl_pipe):
    ours = encode_prompt(sdxl_pipe, "a bowl", "astronaut")
    with torch.no_grad():
        pos, neg, pooled, neg_pooled = sdxl_pipe.encode_prompt(
            "a bowl", device="cpu", negative_prompt="astronaut"
        )
    assert ours["prompt_embeds"].shape == (1, 77, 64)  # 32 + 32, both penultimate layers
    assert ours["pooled_prompt_embeds"].shape == (1, 32)
    for mine, theirs in [
        (ours["prompt_embeds"], pos),
        (ours["negative_prompt_embeds"], neg),
        (ours["pooled_prompt_embeds"], pooled),
        (ours["negative_pooled_prompt_embeds"], neg_pooled),
    ]:
        torch.testing.assert_close(mine, theirs)


def test_sdxl_empty_negative_is_zeros_as_the_model_config_asks(sdxl_pipe):
    ours = encode_prompt(sdxl_pipe, "a bowl", "")
    assert not ours["negative_prompt_embeds"].any()
    assert not ours["negative_pooled_prompt_embeds"].any()
    assert ours["prompt_embeds"].any()


def test_weights_change_embeddings_and_weight_one_is_plain(sd_pipe):
    plain = encode_prompt(sd_pipe, "a bowl astronaut")["prompt_embeds"]
    one = encode_prompt(sd_pipe, "a (bowl:1.0) astronaut")["prompt_embeds"]
    strong = encode_prompt(sd_pipe, "a (bowl:1.5) astronaut")["prompt_embeds"]
    torch.testing.assert_close(one, plain)
    assert not torch.allclose(strong, plain)
    # Only the weighted token (BOS, a, bowl: position 2) changes beyond the mean rescale.
    diff = (strong - plain).abs().sum(-1)[0]
    assert diff.argmax().item() == 2
    assert torch.isfinite(strong).all()


def test_sdxl_weights_change_embeddings(sdxl_pipe):
    plain = encode_prompt(sdxl_pipe, "a bowl")["prompt_embeds"]
    strong = encode_prompt(sdxl_pipe, "a (bowl:1.5)")["prompt_embeds"]
    assert not torch.allclose(strong, plain)
    assert torch.isfinite(strong).all()


def test_long_prompt_is_chunked_and_negative_padded_to_match(sd_pipe):
    long = " ".join(["bowl", "astronaut"] * 100)  # 200 tokens -> 3 chunks of 75
    chunks = tokens_with_weights(sd_pipe.tokenizer, long)
    assert [len(c) for c in chunks] == [75, 75, 50]
    out = encode_prompt(sd_pipe, long, "ugly")
    assert out["prompt_embeds"].shape == (1, 3 * 77, 32)
    assert out["negative_prompt_embeds"].shape == (1, 3 * 77, 32)
    # The first chunk encodes on its own, exactly as a 75-token prompt would.
    first = encode_prompt(sd_pipe, " ".join(["bowl", "astronaut"] * 37) + " bowl")
    torch.testing.assert_close(out["prompt_embeds"][:, :77], first["prompt_embeds"])


def test_break_starts_a_new_chunk(sd_pipe):
    out = encode_prompt(sd_pipe, "a bowl BREAK an astronaut")
    assert out["prompt_embeds"].shape == (1, 2 * 77, 32)
    alone = encode_prompt(sd_pipe, "an astronaut")["prompt_embeds"]
    torch.testing.assert_close(out["prompt_embeds"][:, 77:], alone)


def test_clip_skip_reads_an_earlier_layer(sd_pipe):
    one = encode_prompt(sd_pipe, "a bowl")["prompt_embeds"]
    two = encode_prompt(sd_pipe, "a bowl", clip_skip=2)["prompt_embeds"]
    assert one.shape == two.shape and not torch.allclose(one, two)


def test_clip_skip_beyond_the_encoder_is_refused(sd_pipe):
    with pytest.raises(InvalidArgument) as info:
        encode_prompt(sd_pipe, "a bowl", clip_skip=5)
    assert "`clip_skip` is 5" in str(info.value) and "only 2 layers" in str(info.value)
