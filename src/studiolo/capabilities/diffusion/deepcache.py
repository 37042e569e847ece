"""DeepCache: reuse a UNet's deep features across denoising steps.

Ma, Fang and Wang, "DeepCache: Accelerating Diffusion Models for Free" (CVPR 2024,
arXiv:2312.00858). Neighbouring steps change the UNet's high-level features very
little, so every `interval` steps the UNet runs in full and keeps the output of its
second-to-last up block; the steps between run only the shallow branch, conv_in, the
first down block and the last up block (which takes its skip connections from that
first down block, computed afresh), on top of the kept features.

The schedule is the paper's uniform one: steps 0, N, 2N, ... are full. A step the
shallow branch cannot serve (a ControlNet or adapter residual, attention masks, class
labels, a batch shape other than the kept one) runs in full.
"""

from __future__ import annotations

from typing import Any


class DeepCache:
    """Installs itself as `unet.forward`; `reset()` before each image, `remove()` to undo."""

    def __init__(self, unet: Any, interval: int) -> None:
        if interval < 1:
            raise ValueError(f"`interval` has to be at least 1 but is {interval}.")
        if len(unet.up_blocks) < 2 or len(unet.down_blocks) < 2:
            raise ValueError("DeepCache needs a UNet with at least two levels.")
        self.unet, self.interval = unet, interval
        self.step, self.kept, self.full_steps = 0, None, 0
        self._forward = unet.forward
        self._hook = unet.up_blocks[-2].register_forward_hook(self._keep)
        unet.forward = self.forward

    def reset(self) -> None:
        self.step, self.kept, self.full_steps = 0, None, 0

    def remove(self) -> None:
        self._hook.remove()
        self.unet.forward = self._forward
        self.reset()

    def _keep(self, module: Any, args: Any, output: Any) -> None:
        self.kept = output

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond=None,
                attention_mask=None, cross_attention_kwargs=None, added_cond_kwargs=None,
                return_dict: bool = True, **rest: Any):
        step, self.step = self.step, self.step + 1
        shallow = (step % self.interval != 0 and self.kept is not None and attention_mask is None
                   and not any(v is not None for v in rest.values())
                   and self.kept.shape[0] == sample.shape[0])
        if not shallow:
            self.full_steps += 1
            return self._forward(sample, timestep, encoder_hidden_states, timestep_cond=timestep_cond,
                                 attention_mask=attention_mask,
                                 cross_attention_kwargs=cross_attention_kwargs,
                                 added_cond_kwargs=added_cond_kwargs, return_dict=return_dict, **rest)
        out = self._shallow(sample, timestep, encoder_hidden_states, timestep_cond,
                            cross_attention_kwargs, added_cond_kwargs)
        if not return_dict:
            return (out,)
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

        return UNet2DConditionOutput(sample=out)

    def _shallow(self, sample, timestep, hidden, timestep_cond, attention_kwargs, added):
        # The same embeddings as UNet2DConditionModel.forward, then only the outer level.
        unet = self.unet
        if unet.config.center_input_sample:
            sample = 2 * sample - 1.0
        emb = unet.time_embedding(unet.get_time_embed(sample=sample, timestep=timestep), timestep_cond)
        aug = unet.get_aug_embed(emb=emb, encoder_hidden_states=hidden, added_cond_kwargs=added)
        emb = emb + aug if aug is not None else emb
        if unet.time_embed_act is not None:
            emb = unet.time_embed_act(emb)
        hidden = unet.process_encoder_hidden_states(encoder_hidden_states=hidden, added_cond_kwargs=added)

        sample = unet.conv_in(sample)
        first, last = unet.down_blocks[0], unet.up_blocks[-1]
        if getattr(first, "has_cross_attention", False):
            _, res = first(hidden_states=sample, temb=emb, encoder_hidden_states=hidden,
                           cross_attention_kwargs=attention_kwargs)
        else:
            _, res = first(hidden_states=sample, temb=emb)
        # The last up block takes the first skips (conv_in's output and the first block's).
        skips = ((sample,) + tuple(res))[: len(last.resnets)]
        if getattr(last, "has_cross_attention", False):
            out = last(hidden_states=self.kept, temb=emb, res_hidden_states_tuple=skips,
                       encoder_hidden_states=hidden, cross_attention_kwargs=attention_kwargs)
        else:
            out = last(hidden_states=self.kept, temb=emb, res_hidden_states_tuple=skips)
        if unet.conv_norm_out is not None:
            out = unet.conv_act(unet.conv_norm_out(out))
        return unet.conv_out(out)


def set_deep_cache(unet: Any, interval: int) -> DeepCache | None:
    """Install DeepCache with `interval` on `unet` (1 = off), replacing an earlier one."""
    current = getattr(unet, "_studiolo_deep_cache", None)
    if current is not None:
        current.remove()
    unet._studiolo_deep_cache = DeepCache(unet, interval) if interval > 1 else None
    return unet._studiolo_deep_cache
