"""PyTorch fixtures for depthwise conv2d (groups == in_channels), run with /usr/bin/python3.

  conv_depthwise.py -> test/fixtures/nn_ops/conv_depthwise.safetensors (committed)

Same format as nn_ops.py (whose Family writes it): per case the inputs, the output `y`, an upstream
gradient `gy` and `grad.<input>` for x, weight and bias. The shapes are MobileNet/EfficientNet's
depthwise layers shrunk: 3x3 and 5x5 windows, stride 1 and 2, "same" padding and more, dilation,
odd sizes, batch 1 and 16, with and without bias, channel multiplier 2.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from nn_ops import Family, r  # noqa: E402


def main():
    torch.manual_seed(20)
    f = Family("conv_depthwise")

    def dw(name, n, c, h, w, k, mult=1, bias=True, **args):
        kh, kw = (k, k) if isinstance(k, int) else k
        f.case(name, "conv2d", {**args, "groups": c},
               {"x": r(n, c, h, w), "weight": r(c * mult, 1, kh, kw), **({"bias": r(c * mult)} if bias else {})})

    dw("k3_s1_p1_bias", 2, 4, 7, 9, 3, padding=1)
    dw("k3_s2_p1_batch16", 16, 2, 7, 6, 3, bias=False, stride=2, padding=1)
    dw("k3_s2_p1_even", 1, 5, 12, 12, 3, stride=2, padding=1)
    dw("k5_s1_p2_batch1", 1, 6, 11, 10, 5, padding=2)
    dw("k5_s2_p2_batch16", 16, 2, 9, 7, 5, stride=2, padding=2)
    dw("k3_dilation2", 2, 3, 10, 9, 3, bias=False, padding=2, dilation=2)
    dw("k3_pad_gt_half_rect", 1, 3, 6, 7, 3, padding=[2, 3])
    dw("k3x5_s1x2", 2, 2, 8, 15, [3, 5], stride=[1, 2], padding=[1, 2])
    dw("mult2_k3_s1", 2, 3, 7, 8, 3, mult=2, padding=1)
    dw("mult2_k5_s2_nobias", 1, 4, 9, 10, 5, mult=2, bias=False, stride=2, padding=2)
    dw("k3_valid", 2, 4, 6, 5, 3, stride=1, padding=0)
    f.save()
    print("wrote", f.name)


if __name__ == "__main__":
    main()
