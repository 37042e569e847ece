"""Tiny seeded Stable Diffusion components built in-process (the diffusers
`get_dummy_components()` habit), saved as real diffusers folders so the tests
go through studiolo's real loading code. Nothing is downloaded: the tokenizer
is the one kept in tests/fixtures/tokenizer.

The VAE has four levels, like the real one, so latents are 1/8 of the image
and 64 px images give 8x8 latents.
"""

from __future__ import annotations

from pathlib import Path

import torch

TOKENIZER_DIR = Path(__file__).parent / "fixtures" / "tokenizer"


def _text_config(projection_dim: int | None = None, hidden_size: int = 32):
    from transformers import CLIPTextConfig

    kwargs = {
        "bos_token_id": 712,
        "eos_token_id": 713,
        "pad_token_id": 713,
        "hidden_size": hidden_size,
        "intermediate_size": 37,
        "layer_norm_eps": 1e-05,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "vocab_size": 1000,
        "max_position_embeddings": 77,
        "hidden_act": "gelu",
    }
    if projection_dim is not None:
        kwargs["projection_dim"] = projection_dim
    return CLIPTextConfig(**kwargs)


def tiny_vae(blocks: int = 4):
    """A tiny VAE that downsamples by 2 ** (blocks - 1) (8, as SD's, by default)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(8, 16, 16, 16)[:blocks],
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * blocks,
        up_block_types=("UpDecoderBlock2D",) * blocks,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )


def tiny_sd_components(seed: int = 0, unet_in_channels: int = 4, sd2: bool = False) -> dict:
    """Components of a tiny SD 1.x pipeline (random weights, seeded).

    `sd2`: SD 2.x's differences instead: linear projections into the attention
    blocks, attention upcast to float32, and a v-prediction scheduler.
    """
    from diffusers import DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=unet_in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
        **({"use_linear_projection": True, "upcast_attention": True} if sd2 else {}),
    )
    torch.manual_seed(seed + 1)
    vae = tiny_vae()
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(_text_config())
    tokenizer = CLIPTokenizer.from_pretrained(TOKENIZER_DIR)
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        prediction_type="v_prediction" if sd2 else "epsilon",
    )
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "scheduler": scheduler,
        "safety_checker": None,
        "feature_extractor": None,
    }


def tiny_sdxl_components(seed: int = 0, width_2: int = 32) -> dict:
    """Components of a tiny SDXL pipeline (two text encoders, text_time conditioning).

    `width_2` is the second text encoder's width; a single-file checkpoint needs it to
    differ from the first one's (32), as in the real SDXL, to tell the two apart.
    """
    from diffusers import EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,  # 6 * 8 + 32
        cross_attention_dim=32 + width_2,  # both encoders' hidden states, concatenated
        norm_num_groups=1,
    )
    torch.manual_seed(seed + 1)
    vae = tiny_vae()
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(_text_config(projection_dim=32))
    torch.manual_seed(seed + 3)
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(projection_dim=32, hidden_size=width_2))
    tokenizer = CLIPTokenizer.from_pretrained(TOKENIZER_DIR)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": text_encoder,
        "text_encoder_2": text_encoder_2,
        "tokenizer": tokenizer,
        "tokenizer_2": tokenizer,
        "scheduler": scheduler,
    }


def save_tiny_sd(folder: Path, seed: int = 0, inpainting: bool = False, sd2: bool = False,
                 vae_blocks: int = 4) -> Path:
    """Save a tiny SD 1.x (or SD 2.x-style, v-prediction) model as a diffusers folder.

    `vae_blocks`: a VAE of that many blocks (scale factor 2 ** (blocks - 1); SD's is 8).
    """
    from diffusers import StableDiffusionPipeline

    components = tiny_sd_components(seed, unet_in_channels=9 if inpainting else 4, sd2=sd2)
    if vae_blocks != 4:
        torch.manual_seed(seed)
        components["vae"] = tiny_vae(vae_blocks)
    pipe = StableDiffusionPipeline(**components, requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def save_tiny_sdxl(folder: Path, seed: int = 0, width_2: int = 32) -> Path:
    """Save a tiny SDXL model as a diffusers folder and return the folder."""
    from diffusers import StableDiffusionXLPipeline

    pipe = StableDiffusionXLPipeline(**tiny_sdxl_components(seed, width_2=width_2))
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)
