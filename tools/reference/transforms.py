"""Reference outputs of torchvision 0.14 transforms on tensors, for src/data/transforms.ts.

  /usr/bin/python3 tools/reference/transforms.py -> test/fixtures/data/transforms.safetensors

Small random CHW float images; resize (up, down, [h, w], the int smaller-edge rule, max_size),
center crop (smaller and larger than the image, odd margins that exercise round-half-even),
pad, crop, hflip, normalize, to_tensor of an HWC uint8 array and one composed pipeline.
Each case's arguments are in __metadata__["cases"] (JSON): name -> {input, op, args}.
"""
import json
import os
import sys

import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "data", "transforms.safetensors")


def main():
    torch.manual_seed(0)
    inputs = {
        "a": torch.rand(3, 5, 7),  # wider than tall
        "b": torch.rand(1, 8, 6),  # taller than wide
        "c": torch.rand(3, 9, 9),
    }
    u8 = torch.randint(0, 256, (5, 7, 3), dtype=torch.uint8)  # HWC
    out = {f"in_{k}": v for k, v in inputs.items()}
    out["in_u8"] = u8.to(torch.int32)
    out["to_tensor_u8"] = F.to_tensor(u8.numpy())
    cases = {}

    def case(name, inp, op, fn, **args):
        out[name] = fn(inputs[inp])
        cases[name] = {"input": inp, "op": op, "args": args}

    for name, inp, size, max_size in [
        ("resize_a_down", "a", 3, None),
        ("resize_a_up", "a", 11, None),
        ("resize_a_hw", "a", [4, 9], None),
        ("resize_a_same", "a", [5, 7], None),
        ("resize_a_tiny", "a", [2, 2], None),
        ("resize_b_int", "b", 4, None),
        ("resize_b_up_hw", "b", [16, 3], None),
        ("resize_b_max", "b", 13, 15),
        ("resize_c_down", "c", 4, None),
        ("resize_c_up", "c", 20, None),
    ]:
        case(name, inp, "resize", lambda x, s=size, m=max_size: F.resize(x, s, max_size=m, antialias=False), size=size, maxSize=max_size)
    for name, inp, size in [
        ("center_a_3", "a", 3),
        ("center_a_4x6", "a", [4, 6]),
        ("center_a_7x9", "a", [7, 9]),
        ("center_a_6x4", "a", [6, 4]),
        ("center_b_5", "b", 5),
        ("center_c_4", "c", 4),
    ]:
        case(name, inp, "centerCrop", lambda x, s=size: F.center_crop(x, s), size=size)
    for name, inp, padding in [("pad_a_2", "a", 2), ("pad_a_lrtb", "a", [1, 3]), ("pad_b_ltrb", "b", [1, 2, 3, 0])]:
        case(name, inp, "pad", lambda x, p=padding: F.pad(x, p), padding=padding)
    for name, inp, box in [("crop_a_in", "a", [1, 2, 3, 4]), ("crop_a_out", "a", [-1, 4, 4, 5])]:
        case(name, inp, "crop", lambda x, b=box: F.crop(x, *b), box=box)
    case("hflip_a", "a", "hflip", F.hflip)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    case("normalize_a", "a", "normalize", lambda x: F.normalize(x, mean, std), mean=mean, std=std)
    case("normalize_b", "b", "normalize", lambda x: F.normalize(x, [0.1307], [0.3081]), mean=[0.1307], std=[0.3081])
    pipeline = T.Compose([T.Resize(6, antialias=False), T.CenterCrop(5), T.Normalize(mean, std)])
    case("compose_a", "a", "compose", pipeline, resize=6, centerCrop=5, mean=mean, std=std)

    meta = {"cases": json.dumps(cases), "torch": torch.__version__, "torchvision": torchvision.__version__}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    st.save(OUT, {k: v.contiguous() for k, v in out.items()}, meta)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
