"""Check that checkpoints finetorch wrote load in real PyTorch with exact values (run with /usr/bin/python3).

  verify_written.py DIR

DIR holds the files and expected.json, written by test/io/torch-verify.test.ts:
  { "<file>": { "format": "pth" | "safetensors",
                "tensors": { path: { shape, dtype: float32|int32|bool, values, requires_grad, parameter? } },
                "other": { path: value },          # non-tensor leaves (.pth) or __metadata__ (safetensors)
                "int_keys": [path, ...],           # dicts whose keys must be Python ints
                "ordered": [path, ...],            # dicts that must be OrderedDict ("" = the top level)
                "weights_only": bool,              # must also load with torch.load(weights_only=True)
                "adam_model": bool } }             # 'model' / 'optimizer' load into the checkpoints.py model + Adam
Paths join dict keys and list indices with dots. Floats in values are exact; nan/inf/-0 are strings.
Prints one line per file and exits 1 on the first mismatch.
"""
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

TORCH_DTYPE = {"float32": torch.float32, "int32": torch.int32, "bool": torch.bool}
ST_DTYPE = {"F32": ("float32", np.float32, 4), "I32": ("int32", np.int32, 4), "BOOL": ("bool", np.uint8, 1)}
# the reference safetensors writer's order: dtype descending by its enum, then name by UTF-8 bytes
RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "U16": 6, "F16": 7, "BF16": 8, "I32": 9, "U32": 10, "F32": 11, "F64": 12, "I64": 13, "U64": 14}


class Mismatch(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Mismatch(msg)


def decode(v):
    if isinstance(v, str) and v in ("nan", "inf", "-inf", "-0"):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0": -0.0}[v]
    return v


def same_number(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def check_tensor(path, t, e):
    check(isinstance(t, torch.Tensor), f"{path}: expected a tensor, got {type(t).__name__}")
    check(t.dtype == TORCH_DTYPE[e["dtype"]], f"{path}: dtype {t.dtype}, expected {e['dtype']}")
    check(list(t.shape) == e["shape"], f"{path}: shape {list(t.shape)}, expected {e['shape']}")
    check(t.requires_grad == e["requires_grad"], f"{path}: requires_grad {t.requires_grad}, expected {e['requires_grad']}")
    if "parameter" in e:
        check(isinstance(t, nn.Parameter) == e["parameter"], f"{path}: Parameter is {isinstance(t, nn.Parameter)}, expected {e['parameter']}")
    got = t.detach().reshape(-1).tolist()
    want = [decode(v) for v in e["values"]]
    if t.dtype == torch.bool:
        want = [bool(v) for v in want]
    check(len(got) == len(want), f"{path}: {len(got)} values, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        check(same_number(float(g) if t.is_floating_point() else g, float(w) if t.is_floating_point() else w),
              f"{path}[{i}]: {g!r}, expected {w!r}")


def flatten(obj, path, tensors, other, dicts):
    if isinstance(obj, torch.Tensor):
        tensors[path] = obj
    elif isinstance(obj, dict):
        dicts[path] = obj
        if not obj:
            other[path] = {}
        for k, v in obj.items():
            flatten(v, f"{path}.{k}" if path else str(k), tensors, other, dicts)
    elif isinstance(obj, (list, tuple)):
        if not obj:
            other[path] = []
        for i, v in enumerate(obj):
            flatten(v, f"{path}.{i}" if path else str(i), tensors, other, dicts)
    else:
        other[path] = obj


def verify_pth(path, e):
    variants = [("torch.load", torch.load(path))]
    if e.get("weights_only"):
        variants.append(("torch.load(weights_only=True)", torch.load(path, weights_only=True)))
    for how, obj in variants:
        tensors, other, dicts = {}, {}, {}
        flatten(obj, "", tensors, other, dicts)
        check(sorted(tensors) == sorted(e["tensors"]), f"{how}: tensor paths {sorted(tensors)}, expected {sorted(e['tensors'])}")
        for p, t in tensors.items():
            check_tensor(f"{how} {p}", t, e["tensors"][p])
        check(sorted(other) == sorted(e["other"]), f"{how}: plain values at {sorted(other)}, expected {sorted(e['other'])}")
        for p, v in other.items():
            w = decode(e["other"][p])
            check(type(v) is type(w) or (isinstance(v, (list, dict)) and v == w), f"{how} {p}: {type(v).__name__} {v!r}, expected {type(w).__name__} {w!r}")
            check(same_number(v, w) if isinstance(v, float) else v == w, f"{how} {p}: {v!r}, expected {w!r}")
        for p in e.get("int_keys", []):
            check(all(type(k) is int for k in dicts[p]), f"{how} {p}: keys {list(dicts[p])} are not all ints")
        for p in e.get("ordered", []):
            check(type(dicts[p]) is collections.OrderedDict, f"{how} {p or '<top>'}: {type(dicts[p]).__name__}, expected OrderedDict")
    if e.get("adam_model"):
        # the checkpoints.py model and an Adam over it take the state written here
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))
        model.load_state_dict(obj["model"], strict=True)
        opt = torch.optim.Adam(model.parameters())
        opt.load_state_dict(obj["optimizer"])
        model(torch.randn(2, 2, 4, 4)).sum().backward()
        opt.step()


def verify_safetensors(path, e):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    check((8 + n) % 8 == 0, f"data section starts at {8 + n}, not 8-byte aligned")
    header = json.loads(data[8:8 + n], object_pairs_hook=list)
    names = [k for k, _ in header]
    meta = [v for k, v in header if k == "__metadata__"]
    if meta:
        check(names[0] == "__metadata__", "__metadata__ is not first")
        check(dict(meta[0]) == e["other"], f"metadata {dict(meta[0])}, expected {e['other']}")
    else:
        check(not e["other"], "metadata missing")
    entries = [(k, dict(v)) for k, v in header if k != "__metadata__"]
    want_order = sorted(entries, key=lambda kv: (-RANK[kv[1]["dtype"]], kv[0].encode()))
    check([k for k, _ in entries] == [k for k, _ in want_order], f"key order {[k for k, _ in entries]}, reference order {[k for k, _ in want_order]}")
    pos = 0
    body = data[8 + n:]
    for k, v in entries:
        a, b = v["data_offsets"]
        check(a == pos, f"{k}: data starts at {a}, expected {pos}")
        pos = b
        name, npdt, size = ST_DTYPE[v["dtype"]]
        arr = np.frombuffer(body[a:b], dtype=npdt).reshape(v["shape"])
        t = torch.from_numpy(arr.copy())
        if name == "bool":
            t = t.to(torch.bool)
        check_tensor(k, t, e["tensors"][k])
    check(pos == len(body), f"{len(body) - pos} bytes after the last tensor")
    check(sorted(k for k, _ in entries) == sorted(e["tensors"]), f"tensors {sorted(k for k, _ in entries)}, expected {sorted(e['tensors'])}")


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "expected.json")) as f:
        expected = json.load(f)
    for name, e in expected.items():
        try:
            (verify_pth if e["format"] == "pth" else verify_safetensors)(os.path.join(d, name), e)
        except Mismatch as m:
            print(f"MISMATCH {name}: {m}")
            sys.exit(1)
        print(f"ok {name}: {len(e['tensors'])} tensors{' (also weights_only=True)' if e.get('weights_only') else ''}")


main()
