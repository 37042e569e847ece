"""CPU speed of Stable Diffusion: studiolo's settings against plain diffusers.

Random seeded weights in the real shapes of SD-Turbo (SD 2.1 UNet, 512 px,
1 step, no guidance) and SD 1.5 (512 px, 20 steps, guidance 7.5). Each
variant runs in a fresh child process (same weights, same prompt
embeddings, same seed): one warm-up run, then the median of `--repeats`.
Memory is the child's peak resident set while generating (psutil polling)
and over its whole life (getrusage). Pixel differences are the largest
absolute difference (0-255) against plain diffusers' image.

    python benchmarks/diffusion_cpu.py                      # turbo + sd15, 512 px
    python benchmarks/diffusion_cpu.py --quick              # 256 px, few steps: smoke run
    python benchmarks/diffusion_cpu.py --ablate             # each option on/off (turbo shapes)
    python benchmarks/diffusion_cpu.py --json out.json

Random weights say nothing about image quality: the TAESD difference is
between two random decoders. What they do measure is time, memory and how
far bf16 rounding moves the pixels through the real network shapes.

Measurements (the defaults in studiolo/device.py follow from these)
--------------------------------------------------------------------
2026-11-23, Intel Xeon (Sapphire Rapids class: AMX-BF16, AVX512-BF16), 16 cores,
torch 2.11.0, diffusers 0.42.1; --repeats 2; "gen GiB" = peak RSS while generating.

Each option on/off, SD-Turbo shapes, 512 px, 1 step (`--ablate --models turbo`):

    variant                 median s  vs fp32   gen GiB  max px diff
    diffusers fp32            4.20     1.00x     6.75      0
    all options off           4.27     0.98x     6.68      0
    channels_last             4.23     0.99x     6.81      1   -> no gain: default off
    attention slicing         4.89     0.86x     6.73      1   -> slower, no memory saved: off
    bf16 UNet                 3.68     1.14x     5.14      2   -> on where bf16 is native
    bf16 UNet + channels_last 3.78     1.11x     5.16      1   -> channels_last off
    TAESD decode              1.55     2.71x     5.73    (random)  -> opt-in (--tiny-vae)
    threads=1 (of 16)        30.38     0.14x     6.75      1   -> leave threads to torch
    VAE decode 1024, full    13.51      -        9.49      -
    VAE decode 1024, tiled   22.86      -        6.65     60   -> tiling costs 1.7x time and
                                                               shows seams: only > 1024x1024

Headline (`--models turbo,sd15`, 512 px, total wall time 388 s on 16 cores):

    model  variant          median s  ratio   gen GiB  max px diff vs fp32
    turbo  diffusers fp32     4.96    1.00x    6.69      0
    turbo  studiolo           4.07    1.22x    5.06      2   (bf16 UNet)
    turbo  studiolo+taesd     0.82    6.03x    4.11     (random decoder)
    sd15   diffusers fp32    47.77    1.00x    6.01      0   (20 steps, CFG 7.5)
    sd15   studiolo          21.14    2.26x    4.27      3   (bf16 UNet)
    sd15   studiolo+taesd    16.84    2.84x    3.40     (random decoder)

The 3x target is met with TAESD for SD-Turbo (6.0x) and missed for SD 1.5
(2.3x; 2.8x with TAESD). At one step the full VAE decode is ~60% of the
time, which bf16 in the UNet cannot touch.

2026-11-23, AMD EPYC (AVX2, no native bf16), 2 cores, torch 2.13.0 CPU: the
machine was shared with other jobs while measuring (user time 11 min in 20
min wall), so these figures are noisy. `--quick --repeats 1` took 1227 s:
turbo 256 px 1 step: diffusers 36.7 s, studiolo (then fp32+channels_last)
23.0 s, +TAESD 14.7 s; sd15 256 px 4 steps: 189 s / 64 s / 72 s. bf16 is
not chosen here: without AVX512-BF16/AMX PyTorch emulates it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# The real configs (from the config.json files of the public repos), minus
# fields that only name things.
_UNET_COMMON = {
    "act_fn": "silu",
    "block_out_channels": (320, 640, 1280, 1280),
    "center_input_sample": False,
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-5,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
}
VAE = {  # the SD 1.x / 2.x VAE (identical shapes)
    "act_fn": "silu",
    "block_out_channels": (128, 256, 512, 512),
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}
_CLIP_COMMON = {"vocab_size": 49408, "max_position_embeddings": 77, "layer_norm_eps": 1e-5}
MODELS = {
    "turbo": {  # stabilityai/sd-turbo: SD 2.1 base UNet, OpenCLIP ViT-H text tower
        "unet": dict(_UNET_COMMON, attention_head_dim=(5, 10, 20, 20), cross_attention_dim=1024,
                  use_linear_projection=True, upcast_attention=True),
        "text": dict(_CLIP_COMMON, hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
                  num_hidden_layers=23, hidden_act="gelu", projection_dim=512),
        "family": "sd2", "steps": 1, "guidance": 0.0, "scheduler": "euler_a_trailing",
    },
    "sd15": {  # stable-diffusion-v1-5: CLIP ViT-L/14 text encoder
        "unet": dict(_UNET_COMMON, attention_head_dim=8, cross_attention_dim=768),
        "text": dict(_CLIP_COMMON, hidden_size=768, intermediate_size=3072, num_attention_heads=12,
                  num_hidden_layers=12, hidden_act="quick_gelu", projection_dim=768),
        "family": "sd1", "steps": 20, "guidance": 7.5, "scheduler": "pndm",
    },
}
QUICK = {"size": 256, "steps": {"turbo": 1, "sd15": 4}}
SEED = 1234


# --------------------------------------------------------------------------- child side


def _scheduler(kind: str):
    from diffusers import EulerAncestralDiscreteScheduler, PNDMScheduler

    common = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}
    if kind == "pndm":
        return PNDMScheduler(skip_prk_steps=True, set_alpha_to_one=False, **common)
    return EulerAncestralDiscreteScheduler(timestep_spacing="trailing", **common)


def build_pipeline(model: str):
    """A StableDiffusionPipeline with random seeded weights in `model`'s real shapes."""
    import torch
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    spec = MODELS[model]
    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(**spec["unet"])
    torch.manual_seed(SEED + 1)
    vae = AutoencoderKL(**VAE)
    torch.manual_seed(SEED + 2)
    text_encoder = CLIPTextModel(CLIPTextConfig(**spec["text"]))
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=None, unet=unet,
        scheduler=_scheduler(spec["scheduler"]), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _embeddings(pipe):
    """Prompt and negative embeddings from the random text encoder on fixed token ids."""
    import torch

    g = torch.Generator().manual_seed(SEED + 3)
    ids = torch.randint(0, pipe.text_encoder.config.vocab_size, (2, 77), generator=g)
    with torch.no_grad():
        out = pipe.text_encoder(ids)[0]
    return out[:1], out[1:]


def tiny_vae():
    """AutoencoderTiny in TAESD's shapes (its default config), random seeded weights."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(SEED + 4)
    return AutoencoderTiny()


class _PeakRSS:
    """Polls the resident set size while a block runs (torch allocations escape tracemalloc)."""

    def __enter__(self):
        import psutil

        self._proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(0.01)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def run_child(job: dict) -> dict:
    """Build, optimise, warm up and time one variant; save its image; return the figures."""
    import numpy as np
    import torch

    from studiolo.device import optimize_pipeline

    size, steps, variant = job["size"], job["steps"], job["variant"]
    pipe = build_pipeline(job["model"])
    cond, uncond = _embeddings(pipe)
    settings = None
    if variant.get("optimize") is None:
        pipe.to("cpu")
    else:
        opts = dict(variant["optimize"])
        if opts.pop("taesd", False):
            opts["tiny_vae"] = tiny_vae()
        settings = optimize_pipeline(pipe, "cpu", width=size, height=size, **opts).as_options()

    def generate(steps=steps):
        if job.get("decode_only"):
            g = torch.Generator().manual_seed(SEED)
            latents = torch.randn(1, 4, size // 8, size // 8, generator=g)
            with torch.no_grad():
                out = pipe.vae.decode(latents.to(memory_format=torch.channels_last)).sample
            return ((out.clamp(-1, 1) + 1) * 127.5).permute(0, 2, 3, 1).numpy()
        image = pipe(
            prompt_embeds=cond, negative_prompt_embeds=uncond, num_inference_steps=steps,
            guidance_scale=MODELS[job["model"]]["guidance"], height=size, width=size,
            generator=torch.Generator().manual_seed(SEED), output_type="np",
        ).images
        return image * 255.0

    times = []
    with _PeakRSS() as mem:
        image = generate(min(steps, 2))  # warm-up: oneDNN builds its kernels for these shapes
        for _ in range(job["repeats"]):
            start = time.perf_counter()
            image = generate()
            times.append(time.perf_counter() - start)
    np.save(job["out"], np.round(image).clip(0, 255).astype(np.uint8))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"times": times, "median_s": statistics.median(times), "peak_gen_bytes": mem.peak,
            "maxrss_bytes": maxrss, "settings": settings, "finite": bool(np.isfinite(image).all()),
            "threads": torch.get_num_threads()}


# --------------------------------------------------------------------------- parent side


def variants(ablate: bool) -> list[dict]:
    if not ablate:
        return [
            {"name": "diffusers fp32", "optimize": None},
            {"name": "studiolo", "optimize": {}},
            {"name": "studiolo+taesd", "optimize": {"taesd": True}},
        ]
    off = {"bf16": False, "channels_last": False, "attention_slicing": False}
    return [
        {"name": "diffusers fp32", "optimize": None},
        {"name": "all off", "optimize": off},
        {"name": "channels_last", "optimize": dict(off, channels_last=True)},
        {"name": "attention slicing", "optimize": dict(off, attention_slicing=True)},
        {"name": "bf16 unet", "optimize": dict(off, bf16=True)},
        {"name": "bf16+channels_last", "optimize": dict(off, bf16=True, channels_last=True)},
        {"name": "taesd", "optimize": dict(off, taesd=True)},
        {"name": "threads=1", "optimize": dict(off, threads=1)},
    ]


def tiling_variants() -> list[dict]:
    off = {"bf16": False, "channels_last": False, "attention_slicing": False}
    return [
        {"name": "vae 1024 full", "optimize": dict(off, vae_tiling=False), "decode_only": True},
        {"name": "vae 1024 tiled", "optimize": dict(off, vae_tiling=True), "decode_only": True},
    ]


def spawn(job: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(job)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"variant {job['variant']['name']!r} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="turbo,sd15", help="comma list of: turbo, sd15")
    parser.add_argument("--quick", action="store_true", help="256 px and fewer steps (smoke run)")
    parser.add_argument("--ablate", action="store_true", help="each option on/off, plus VAE tiling at 1024")
    parser.add_argument("--size", type=int, default=None, help="image side in pixels (default 512)")
    parser.add_argument("--steps", type=int, default=None, help="override the model's step count")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per variant (median)")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the results here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_child(json.loads(args.child))))
        return 0

    import torch

    from studiolo.device import cpu_has_native_bf16

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            parser.error(f"`--models` must name some of {tuple(MODELS)}, got {m!r}")
    size = args.size or (QUICK["size"] if args.quick else 512)
    print(f"CPU: {cpu_name()} | {os.cpu_count()} logical CPUs | torch {torch.__version__} "
          f"threads {torch.get_num_threads()} | native bf16: {cpu_has_native_bf16()}")
    results, started = [], time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            steps = args.steps or (QUICK["steps"][model] if args.quick else MODELS[model]["steps"])
            plan = variants(args.ablate) + (tiling_variants() if args.ablate and model == models[0] else [])
            rows = []
            for i, variant in enumerate(plan):
                job = {"model": model, "size": 1024 if variant.get("decode_only") else size,
                       "steps": steps, "variant": variant, "repeats": args.repeats,
                       "decode_only": variant.get("decode_only", False), "out": f"{tmp}/{model}-{i}.npy"}
                row = {"model": model, "variant": variant["name"], "size": job["size"], "steps": steps,
                       **spawn(job)}
                rows.append((job, row))
                print(f"  {model:6s} {variant['name']:20s} {row['median_s']:8.2f} s", flush=True)
            _compare(rows)
            results += [row for _, row in rows]
    _print_table(results)
    print(f"total wall time: {time.perf_counter() - started:.0f} s")
    if args.json_path:
        meta = {"cpu": cpu_name(), "cpus": os.cpu_count(), "native_bf16": cpu_has_native_bf16(),
                "torch": torch.__version__, "date": time.strftime("%Y-%m-%d")}
        Path(args.json_path).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


def _compare(rows) -> None:
    """Speed ratio and pixel difference of each variant against its reference image."""
    import numpy as np

    images = {row["variant"]: np.load(job["out"]).astype(np.int16) for job, row in rows}
    base = next(row for _, row in rows if row["variant"] == "diffusers fp32")
    for _, row in rows:
        if row["size"] != base["size"]:  # the tiling rows compare with each other
            ref = images["vae 1024 full"]
        else:
            ref = images["diffusers fp32"]
            row["ratio"] = base["median_s"] / row["median_s"]
        row["max_px_diff"] = int(np.abs(images[row["variant"]] - ref).max())
    if "studiolo+taesd" in images and "studiolo" in images:
        # TAESD against the full VAE on the same (studiolo) UNet latents.
        diff = np.abs(images["studiolo+taesd"] - images["studiolo"]).max()
        next(r for _, r in rows if r["variant"] == "studiolo+taesd")["taesd_vs_full_px"] = int(diff)


def _print_table(results) -> None:
    gib = 1024**3
    print(f"\n{'model':6s} {'variant':20s} {'size':>5s} {'steps':>5s} {'median s':>9s} {'ratio':>6s} "
          f"{'gen GiB':>8s} {'max GiB':>8s} {'px diff':>7s}  settings")
    for r in results:
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "-"
        s = r["settings"] or {}
        applied = ",".join(k for k in ("channels_last", "tiny_vae", "vae_tiling", "attention_slicing") if s.get(k))
        applied = f"{s.get('unet_dtype', 'float32')} {applied} threads={r['threads']}".strip()
        print(f"{r['model']:6s} {r['variant']:20s} {r['size']:5d} {r['steps']:5d} {r['median_s']:9.2f} "
              f"{ratio:>6s} {r['peak_gen_bytes'] / gib:8.2f} {r['maxrss_bytes'] / gib:8.2f} "
              f"{r['max_px_diff']:7d}  {applied}")
        if "taesd_vs_full_px" in r:
            print(f"{'':28s} TAESD vs full VAE (same latents): max px diff {r['taesd_vs_full_px']}")
    print("ratio = diffusers fp32 time / variant time; px diff = max |variant - diffusers fp32| (0-255)")


if __name__ == "__main__":
    sys.exit(main())
