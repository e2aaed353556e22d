"""Reference outputs for the weights presets (src/models/weights/preset.ts, src/data/resize-bicubic.ts).

  /usr/bin/python3 tools/reference/weights_presets.py -> test/fixtures/models/weights_presets.safetensors

Bicubic resize of small random float CHW images (down, up, [h, w], the smaller-edge rule), and two
ImageClassification presets of torchvision 0.14 applied to an HWC uint8 image converted to float first
(ToTensor, then the preset: what finetorch's transforms do): ResNet50_Weights.IMAGENET1K_V2 (bilinear,
resize 232, crop 224 scaled down here to resize 23 / crop 20 on a 31x26 image) and
EfficientNet_B0_Weights.IMAGENET1K_V1 (bicubic). __metadata__["cases"] holds each case's arguments.
"""
import json
import os
import sys

import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms._presets import ImageClassification

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "models", "weights_presets.safetensors")


def main():
    torch.manual_seed(0)
    a, b = torch.rand(3, 7, 9), torch.rand(1, 10, 6)
    out = {"in_a": a, "in_b": b}
    cases = {}
    for name, inp, x, size in [("bicubic_a_down", "a", a, 4), ("bicubic_a_up", "a", a, 13), ("bicubic_a_hw", "a", a, [5, 14]),
                               ("bicubic_b_int", "b", b, 4), ("bicubic_b_up", "b", b, [17, 3])]:
        out[name] = F.resize(x, size, interpolation=InterpolationMode.BICUBIC, antialias=False)
        cases[name] = {"input": inp, "size": size}
    u8 = torch.randint(0, 256, (31, 26, 3), dtype=torch.uint8)  # HWC, as decodeImage gives
    out["in_u8"] = u8.to(torch.int32)
    img = u8.permute(2, 0, 1).float() / 255
    for name, interp in [("preset_bilinear", InterpolationMode.BILINEAR), ("preset_bicubic", InterpolationMode.BICUBIC)]:
        out[name] = ImageClassification(crop_size=20, resize_size=23, interpolation=interp)(img)
        cases[name] = {"resize": 23, "crop": 20, "interpolation": interp.value}
    meta = {"cases": json.dumps(cases), "torch": torch.__version__, "torchvision": torchvision.__version__}
    st.save(OUT, {k: v.contiguous() for k, v in out.items()}, meta)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
