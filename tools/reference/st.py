"""Minimal safetensors writer/reader for the reference scripts (struct + json, no extra packages)."""
import json
import struct

import torch

_DT = {torch.float32: ("F32", "<f4"), torch.int32: ("I32", "<i4"), torch.bool: ("BOOL", "|u1")}


def save(path, tensors, metadata=None):
    """Write `tensors` (name -> tensor); int64 is stored as int32, float64 as float32."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().cpu()
        if t.dtype == torch.int64:
            t = t.to(torch.int32)
        if t.dtype == torch.float64:
            t = t.to(torch.float32)
        code, _ = _DT[t.dtype]
        raw = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        dt = {"F32": np.float32, "I32": np.int32, "BOOL": np.uint8}[e["dtype"]]
        arr = np.frombuffer(data[8 + n + a : 8 + n + b], dtype=dt).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out
