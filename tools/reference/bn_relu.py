"""PyTorch fixture for the eval BatchNorm + ReLU fusion (run with /usr/bin/python3).

  bn_relu.py -> test/fixtures/bn_relu.safetensors (committed)

What torchvision's ResNet blocks compute with BatchNorm2d in eval mode: relu(bn(x)) and
relu(bn(x) + identity), forward and every gradient (x, weight, bias, identity) for a random upstream
gradient. Tensors are "<case>.<name>"; metadata `cases` is a JSON list of {name, affine, residual}.
The shapes cover the normalise kernel's layouts: a flat grid (spatial < 32), vec4 planes, scalar planes.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "bn_relu.safetensors")

CASES = [
    {"name": "flat", "shape": [2, 3, 4, 5], "affine": True, "residual": True},
    {"name": "vec4", "shape": [2, 4, 8, 8], "affine": True, "residual": False},
    {"name": "scalar_noaffine", "shape": [1, 3, 6, 6], "affine": False, "residual": True},
]


def main():
    torch.manual_seed(11)
    tensors, meta = {}, []
    for c in CASES:
        n, ch = c["shape"][0], c["shape"][1]
        p = c["name"] + "."
        x = (torch.randn(c["shape"]) * 1.5 + 0.2).requires_grad_()
        rm, rv = torch.randn(ch) * 0.5, torch.rand(ch) + 0.5
        w = (torch.randn(ch) + 0.5).requires_grad_() if c["affine"] else None
        b = (torch.randn(ch) * 0.5).requires_grad_() if c["affine"] else None
        r = torch.randn(c["shape"]).requires_grad_() if c["residual"] else None
        y = F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-5)
        if r is not None:
            y = y + r
        y = F.relu(y)
        gy = torch.randn(c["shape"])
        y.backward(gy)
        tensors.update({p + "x": x, p + "runningMean": rm, p + "runningVar": rv, p + "y": y, p + "gy": gy, p + "grad.x": x.grad})
        if c["affine"]:
            tensors.update({p + "weight": w, p + "bias": b, p + "grad.weight": w.grad, p + "grad.bias": b.grad})
        if r is not None:
            tensors.update({p + "residual": r, p + "grad.residual": r.grad})
        meta.append({k: c[k] for k in ("name", "affine", "residual")})
    st.save(OUT, tensors, {"cases": json.dumps(meta), "torch": torch.__version__})


if __name__ == "__main__":
    main()
