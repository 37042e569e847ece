"""OpenVINO as the diffusion engine's backend (`--backend openvino`).

The UNet, the text encoder and the VAE decoder of a loaded diffusers model
are converted with `openvino.convert_model` (no optimum-intel: it would pull
torchvision and a CUDA torch) and run as compiled OpenVINO models; the
tokenizer, the scheduler, the noise and the rest of the pipeline stay the
engine's own, so a seed means the same latents as on the torch path.

- Each part is converted once per model: the IR (`.xml` + `.bin`) is kept in
  STUDIOLO_HOME/cache/openvino/<model sha256>/<precision>/, so a second
  process reads it instead of converting. The torch weights of a converted
  part are dropped (the OpenVINO copy is what runs).
- Shapes are static: before compiling, the IR is reshaped to the exact input
  shapes of the call (512 px with guidance -> batch 2, 64x64 latents), which
  lets the CPU plugin pick its kernels once. The compiled blobs go to
  OpenVINO's own CACHE_DIR in the same folder (keyed by OpenVINO by model,
  shape and settings), so a new process does not compile again either.
- Precision: "bf16" (the INFERENCE_PRECISION_HINT) where the CPU reports BF16
  in OPTIMIZATION_CAPABILITIES, else "f32"; the IR weights are stored as
  float16 for bf16 (half the disk) and float32 for f32. The run records the
  backend and precision in the recipe's speed record.
- SD 1.x/2.x models (txt2img, img2img, inpaint); no LoRAs (the weights are
  baked into the IR), no SDXL: both are refused with one sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from studiolo.capabilities.diffusion.backends import MISSING, import_openvino
from studiolo.core.errors import InvalidArgument, ModelError

# -- the compiled parts ---------------------------------------------------------------


class _Part:
    """One converted network: IR on disk, a compiled model per static input shape."""

    def __init__(self, name: str, folder: Path, precision: str, export, example) -> None:
        self.name, self.folder, self.precision = name, folder, precision
        self._export, self._example = export, example  # -> torch module, inputs; freed after use
        self._compiled: dict[tuple, Any] = {}
        self.converted = False  # True when this process converted (not read from the cache)

    @property
    def ir_path(self) -> Path:
        return self.folder / f"{self.name}.xml"

    def _model(self):
        if not self.ir_path.exists():
            raise ModelError(f"The OpenVINO model {self.ir_path} went missing while in use: run again "
                             "to convert it anew.")
        return import_openvino().Core().read_model(self.ir_path)

    def _convert(self, ov) -> None:
        module = self._export()
        with torch.no_grad():
            model = ov.convert_model(module, example_input=self._example())
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write then rename (both files), so a killed conversion leaves no half IR.
        tmp = self.folder / f"{self.name}.tmp.xml"
        ov.save_model(model, tmp, compress_to_fp16=self.precision == "bf16")
        tmp.with_suffix(".bin").replace(self.ir_path.with_suffix(".bin"))
        tmp.replace(self.ir_path)
        self.converted = True

    def release_torch(self) -> None:
        self._export = self._example = None

    def __call__(self, *inputs):
        import numpy as np

        arrays = [np.ascontiguousarray(x.detach().cpu().numpy()) for x in inputs]
        shape = tuple(a.shape for a in arrays)
        compiled = self._compiled.get(shape)
        if compiled is None:
            ov = import_openvino()
            model = self._model()
            model.reshape({port: list(s) for port, s in zip(model.inputs, shape)})
            core = ov.Core()
            core.set_property({"CACHE_DIR": str(self.folder / "compiled")})
            hint = "bf16" if self.precision == "bf16" else "f32"
            compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": hint})
            self._compiled[shape] = compiled
        result = compiled(arrays)
        return [torch.from_numpy(np.array(result[out])) for out in compiled.outputs]


class _Runs(torch.nn.Module):
    """An nn.Module shell the diffusers pipeline can hold (device, dtype, config)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32


class OpenVINOUNet(_Runs):
    """Stands in for UNet2DConditionModel: sample, timestep, text states -> noise."""

    def __init__(self, unet: Any, part: _Part, image_scale: int) -> None:
        super().__init__(unet.config)
        self.part, self.image_scale = part, image_scale  # image pixels per latent

    def forward(self, sample, timestep, encoder_hidden_states, *args, return_dict: bool = True,
                **kwargs):
        if kwargs.get("added_cond_kwargs") or kwargs.get("timestep_cond") is not None:
            raise ModelError("The OpenVINO backend runs SD 1.x/2.x UNets only; use `--backend torch`.")
        # The traced UNet halves the latents len(blocks) - 1 times without the odd-size path.
        factor = 2 ** (len(self.config.block_out_channels) - 1)
        if sample.shape[-1] % factor or sample.shape[-2] % factor:
            scale = self.image_scale
            raise InvalidArgument(
                f"The OpenVINO backend needs a width and height divisible by {factor * scale} for "
                f"this model (got {sample.shape[-1] * scale}x{sample.shape[-2] * scale}): use "
                "`--backend torch` for this size.")
        t = torch.as_tensor(timestep, dtype=torch.float32).reshape(1)
        [noise] = self.part(sample.float(), t, encoder_hidden_states.float())
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

        return UNet2DConditionOutput(sample=noise) if return_dict else (noise,)


class OpenVINOTextEncoder(_Runs):
    """Stands in for CLIPTextModel: ids -> last_hidden_state and every layer's states."""

    def __init__(self, encoder: Any, part: _Part) -> None:
        super().__init__(encoder.config)
        self.part = part
        self.final_layer_norm = _final_norm(encoder)  # clip skip normalises an earlier layer

    def forward(self, input_ids, output_hidden_states: bool = False, **kwargs):
        from transformers.modeling_outputs import BaseModelOutputWithPooling

        last, *hidden = self.part(input_ids.long())
        return BaseModelOutputWithPooling(last_hidden_state=last,
                                          hidden_states=tuple(hidden) if output_hidden_states else None)


class OpenVINOVae(_Runs):
    """Stands in for AutoencoderKL: decode through OpenVINO, encode (img2img) through torch."""

    def __init__(self, vae: Any, part: _Part) -> None:
        super().__init__(vae.config)
        self.part = part
        vae.decoder = vae.post_quant_conv = None  # the OpenVINO copy decodes; free the torch one
        self._vae = [vae]  # in a list: not a submodule (pipe.to() and parameters() skip it)

    def encode(self, x, return_dict: bool = True):
        return self._vae[0].encode(x, return_dict=return_dict)

    def decode(self, z, return_dict: bool = True, generator=None):
        from diffusers.models.autoencoders.vae import DecoderOutput

        [image] = self.part(z.float())
        return DecoderOutput(sample=image) if return_dict else (image,)


def _final_norm(encoder: Any) -> Any:
    norm = getattr(encoder, "final_layer_norm", None)
    return norm if norm is not None else encoder.text_model.final_layer_norm


# -- what the engine calls ------------------------------------------------------------


def install_openvino(pipe: Any, folder: Path, precision: str) -> dict[str, bool]:
    """Swap `pipe`'s UNet, text encoder and VAE decoder for OpenVINO ones (IR in `folder`).

    Converts the parts whose IR is not yet in `folder`, then frees their torch
    weights. Returns {part: converted in this call}.
    """
    if import_openvino() is None:
        raise ModelError(MISSING)
    if getattr(pipe, "text_encoder_2", None) is not None:
        raise InvalidArgument("The OpenVINO backend runs SD 1.x/2.x models, not SDXL: "
                              "use `--backend torch`.")
    unet, encoder, vae = pipe.unet, pipe.text_encoder, pipe.vae
    latent = int(unet.config.sample_size)
    parts = {
        "unet": _Part("unet", folder, precision, lambda: _UNetExport(unet), lambda: (
            torch.randn(1, unet.config.in_channels, latent, latent), torch.tensor([500.0]),
            torch.randn(1, encoder.config.max_position_embeddings, unet.config.cross_attention_dim))),
        "text_encoder": _Part("text_encoder", folder, precision, lambda: _TextExport(encoder), lambda: (
            torch.ones(1, encoder.config.max_position_embeddings, dtype=torch.long),)),
        "vae_decoder": _Part("vae_decoder", folder, precision, lambda: _DecoderExport(vae), lambda: (
            torch.randn(1, vae.config.latent_channels, latent, latent),)),
    }
    for part in parts.values():
        if not part.ir_path.exists():
            part._convert(import_openvino())
        part.release_torch()
    scale = 2 ** (len(vae.config.block_out_channels) - 1)
    pipe.register_modules(unet=OpenVINOUNet(unet, parts["unet"], scale),
                          text_encoder=OpenVINOTextEncoder(encoder, parts["text_encoder"]),
                          vae=OpenVINOVae(vae, parts["vae_decoder"]))
    return {name: part.converted for name, part in parts.items()}


class _UNetExport(torch.nn.Module):
    def __init__(self, unet: Any) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class _TextExport(torch.nn.Module):
    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids):
        out = self.encoder(input_ids, output_hidden_states=True)
        return (out.last_hidden_state, *out.hidden_states)


class _DecoderExport(torch.nn.Module):
    def __init__(self, vae: Any) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, latents):
        return self.vae.decode(latents, return_dict=False)[0]
