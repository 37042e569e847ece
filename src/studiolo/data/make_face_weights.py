"""Convert the MTCNN face-detector weights to safetensors, once, at build time.

studiolo only loads safetensors and ONNX. facenet-pytorch ships the MTCNN
weights (Zhang et al. 2016, ported from the authors' Caffe models) as pickled
PyTorch state dicts; this script reads them with `torch.load(weights_only=True)`
(the restricted unpickler: tensors only, no code) and writes
`studiolo/data/faces/mtcnn.safetensors` with keys "pnet.*", "rnet.*", "onet.*".

    pip download facenet-pytorch==2.6.0 --no-deps -d /tmp/fnp
    python -m studiolo.data.make_face_weights /tmp/fnp/facenet_pytorch-2.6.0-py3-none-any.whl
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

OUT_DIR = Path(__file__).parent / "faces"
SOURCE = {
    "mtcnn.safetensors": {
        "model": "MTCNN (P-Net, R-Net, O-Net)",
        "paper": "Zhang, Zhang, Li, Qiao: Joint Face Detection and Alignment using Multi-task "
        "Cascaded Convolutional Networks, IEEE SPL 2016",
        "source": "facenet-pytorch 2.6.0 wheel (facenet_pytorch/data/{pnet,rnet,onet}.pt), "
        "converted to safetensors by studiolo/data/make_face_weights.py",
        "licence": "MIT (facenet-pytorch, Tim Esler); original weights MIT (kpzhang93/MTCNN)",
    }
}


def main(wheel: str) -> None:
    import torch
    from safetensors.torch import save_file

    tensors = {}
    with zipfile.ZipFile(wheel) as zf:
        for net in ("pnet", "rnet", "onet"):
            raw = zf.read(f"facenet_pytorch/data/{net}.pt")
            state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
            for key, value in state.items():
                tensors[f"{net}.{key}"] = value.detach().float().contiguous()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT_DIR / "mtcnn.safetensors"), metadata={"source": "facenet-pytorch 2.6.0"})
    (OUT_DIR / "faces.json").write_text(json.dumps(SOURCE, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
