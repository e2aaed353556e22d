"""Reference fixtures for max unpooling and MaxPool2d(return_indices=True) (PyTorch 1.13, /usr/bin/python3).

  unpool.py -> test/fixtures/nn_ops/unpool.safetensors (committed)

Per case (options in __metadata__["cases"], camelCase as finetorch takes them): the pooled input `x`,
the pool's output `pooled` and `indices` (int64 stored as int32), a fixed upstream gradient `gy`, the
unpooled output `out`, the gradient of sum(out * gy) with respect to the pooled values (`grad_pooled`),
and with respect to `x` through pool and unpool (`grad_x`).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "nn_ops")

# name: (x shape, pool kernel, pool stride, pool padding, unpool output_size or None, 1-D?)
CASES = {
    "k2s2": ((2, 3, 6, 6), 2, 2, 0, None, False),
    "overlap_k3s2p1": ((1, 2, 8, 8), 3, 2, 1, [8, 8], False),
    "unbatched_outsize": ((3, 5, 5), 2, 2, 0, [5, 5], False),
    "rect_full_outsize": ((2, 1, 5, 7), (2, 3), (1, 2), (1, 1), [1, 1, 5, 7], False),
    "oned": ((2, 3, 9), 3, 2, 1, None, True),
}


def main():
    g = torch.Generator().manual_seed(7)
    tensors, meta = {}, {}
    for name, (shape, k, s, p, size, oned) in CASES.items():
        # integers, then a little noise: ties are rare but overlapping windows share maxima
        x = (torch.randint(-20, 20, shape, generator=g).float() + torch.rand(shape, generator=g) * 0.5).requires_grad_(True)
        pool = F.max_pool1d if oned else F.max_pool2d
        unpool = F.max_unpool1d if oned else F.max_unpool2d
        pooled, idx = pool(x, k, s, p, return_indices=True)
        pooled.retain_grad()
        out = unpool(pooled, idx, k, s, p, output_size=size)
        gy = torch.randn(out.shape, generator=g)
        (out * gy).sum().backward()
        for key, v in {"x": x, "pooled": pooled, "indices": idx, "gy": gy, "out": out, "grad_pooled": pooled.grad, "grad_x": x.grad}.items():
            tensors[f"{name}.{key}"] = v.detach()
        meta[name] = {"kernelSize": k, "stride": s, "padding": p, "outputSize": size, "oned": oned}
    st.save(os.path.join(OUT, "unpool.safetensors"), tensors, {"cases": json.dumps(meta)})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
