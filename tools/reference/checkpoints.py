"""Checkpoint fixtures for src/io, written by real PyTorch (run with /usr/bin/python3).

  checkpoints.py [OUT_DIR]   (default test/fixtures/io; the outputs are committed, a few KB in all)

Writes .pth files the way torch.save writes them (a state dict, a training checkpoint with epoch and
Adam state, every storage dtype, non-contiguous views, tensors sharing one storage, parameters), a
legacy pre-1.6 file, files whose pickle calls os.system / builtins.eval / numpy (which must be
refused), a safetensors file with every dtype (written with struct + json in the reference
implementation's key order), and expected.json: for each file, each tensor's path -> shape, the
dtype it loads as here (float32 / int32 / bool), its values, requires_grad; plus the non-tensor
values. Float values are exact (float32 widened to double); nan/inf are written as strings.
"""
import collections
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "io")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def loaded_dtype(t):
    if t.dtype == torch.bool:
        return "bool"
    return "float32" if t.is_floating_point() else "int32"


def num(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0 and math.copysign(1, x) < 0:
            return "-0"
    return x


def tensor_entry(t):
    requires_grad = bool(t.requires_grad)
    t = t.detach()
    vals = t.float() if t.is_floating_point() else t.to(torch.int64)
    return {
        "shape": list(t.shape),
        "dtype": loaded_dtype(t),
        "values": [num(v) for v in vals.reshape(-1).tolist()],
        "requires_grad": requires_grad,
    }


def flatten(obj, path, tensors, other):
    """tensors and plain leaves by dotted path (dict keys and list indices), as the TS side names them."""
    if isinstance(obj, torch.Tensor):
        tensors[path] = tensor_entry(obj)
    elif isinstance(obj, dict):
        if not obj:
            other[path] = {}
        for k, v in obj.items():
            name = "True" if k is True else "False" if k is False else "None" if k is None else str(k)
            flatten(v, f"{path}.{name}" if path else name, tensors, other)
    elif isinstance(obj, (list, tuple)):
        if not obj:
            other[path] = []
        for i, v in enumerate(obj):
            flatten(v, f"{path}.{i}" if path else str(i), tensors, other)
    else:
        other[path] = num(obj)


expected = {}


def save(name, obj, **kw):
    torch.save(obj, os.path.join(OUT, name), **kw)
    tensors, other = {}, {}
    flatten(obj, "", tensors, other)
    expected[name] = {"tensors": tensors, "other": other}


# 1. a state dict with a conv, batch norm (int64 num_batches_tracked) and linear layer
model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))
model(torch.randn(2, 2, 4, 4)).sum().backward()  # a forward in train mode moves the BN statistics
save("state_dict.pth", model.state_dict())

# 2. a training checkpoint: epoch, model, Adam state after one step, plain values of every kind
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
opt.step()
save("checkpoint.pth", {
    "epoch": 7,
    "model": model.state_dict(),
    "optimizer": opt.state_dict(),
    "best_acc": 0.8125,
    "name": "run-\u03b1",
    "flags": [True, False, None],
    "pair": (1, 2.5),
    "big": 2 ** 40,
    "neg": -5,
    "empty": {},
})

# 3. every storage dtype, a 0-d and an empty tensor; float specials in f16 and f32
specials = [float("inf"), float("-inf"), float("nan"), -0.0, 6e-8, 65504.0, 1.5]
save("dtypes.pth", collections.OrderedDict([
    ("f32", torch.tensor(specials + [3.4e38, 1e-45], dtype=torch.float32)),
    ("f16", torch.tensor(specials, dtype=torch.float16)),
    ("bf16", torch.tensor([1.0, -2.5, 3.140625, 1e30, -1e-30], dtype=torch.bfloat16)),
    ("f64", torch.tensor([1 / 3, -2.5e-3, 1e300], dtype=torch.float64)),
    ("i64", torch.tensor([0, -1, 2 ** 31 - 1, -(2 ** 31)], dtype=torch.int64)),
    ("i32", torch.tensor([[1, -2], [3, 2 ** 31 - 1]], dtype=torch.int32)),
    ("i16", torch.tensor([-32768, 32767, 5], dtype=torch.int16)),
    ("i8", torch.tensor([-128, 127, -1], dtype=torch.int8)),
    ("u8", torch.tensor([0, 255, 7], dtype=torch.uint8)),
    ("b", torch.tensor([True, False, True])),
    ("scalar", torch.tensor(2.75)),
    ("empty", torch.zeros(0, 3)),
]))

# 4. non-contiguous views: transposed, sliced with an offset and a step, expanded (stride 0)
x = torch.arange(24, dtype=torch.float32).reshape(4, 6)
save("views.pth", {
    "t": x.t(),
    "s": x[1:3, ::2],
    "e": torch.tensor([1.0, 2.0]).reshape(2, 1).expand(2, 3),
    "col": x[:, 5],
})

# 5. tensors sharing one storage (saved once), one of them twice
base = torch.arange(12, dtype=torch.int64)
a = base[:6].view(2, 3)
save("shared.pth", {"a": a, "b": base[6:], "all": base, "a_again": a})

# 6. parameters, trainable and frozen
save("parameter.pth", {"w": nn.Parameter(torch.randn(2, 3)), "frozen": nn.Parameter(torch.ones(2), requires_grad=False)})

# 7. the legacy (pre-1.6) format
torch.save(model.state_dict(), os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)


# 8. hostile pickles, written by torch.save itself: loading them with pickle would run code
class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


torch.save({"w": torch.ones(2), "payload": Evil(os.system, "echo pwned")}, os.path.join(OUT, "evil_os_system.pth"))
torch.save({"payload": Evil(eval, "__import__('os').getcwd()")}, os.path.join(OUT, "evil_eval.pth"))


# 9. safetensors with every dtype, in the reference writer's order: dtype descending (BOOL < U8 <
#    I8 < I16 < F16 < BF16 < I32 < F32 < F64 < I64), then name
RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "F16": 7, "BF16": 8, "I32": 9, "F32": 11, "F64": 12, "I64": 13}
ST = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
      torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
st_tensors = {
    "z.f64": torch.tensor([1 / 3, -1e-300], dtype=torch.float64),
    "a.f32": torch.tensor([[1.5, -2.0, 3.25]], dtype=torch.float32),
    "h": torch.tensor(specials, dtype=torch.float16),
    "bf": torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16),
    "ids": torch.tensor([5, -7, 2 ** 31 - 1], dtype=torch.int64),
    "i32": torch.tensor([1, 2], dtype=torch.int32),
    "short": torch.tensor([-300, 300], dtype=torch.int16),
    "tiny": torch.tensor([-5, 5], dtype=torch.int8),
    "bytes": torch.tensor([200, 1], dtype=torch.uint8),
    "mask": torch.tensor([[True], [False]]),
    "0": torch.tensor(4.0),
}
order = sorted(st_tensors, key=lambda k: (-RANK[ST[st_tensors[k].dtype]], k.encode()))
entries, blobs, off = [], [], 0
for k in order:
    t = st_tensors[k].contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes()  # bfloat16 has no numpy type: go through bytes
    entries.append((k, {"dtype": ST[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}))
    blobs.append(raw)
    off += len(raw)
header = '{"__metadata__":' + json.dumps({"format": "pt", "note": "every dtype"}, separators=(",", ":"))
header += "".join("," + json.dumps(k) + ":" + json.dumps(v, separators=(",", ":")) for k, v in entries) + "}"
hb = header.encode()
hb += b" " * ((8 - len(hb) % 8) % 8)
with open(os.path.join(OUT, "dtypes.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
expected["dtypes.safetensors"] = {"tensors": {k: tensor_entry(v) for k, v in st_tensors.items()},
                                  "other": {"format": "pt", "note": "every dtype"}, "order": order}

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
    f.write("\n")
for name in sorted(os.listdir(OUT)):
    print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")
