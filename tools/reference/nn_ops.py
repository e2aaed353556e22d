"""PyTorch fixtures for src/nn/functional conv/pool/norm/misc (run with /usr/bin/python3).

  nn_ops.py -> test/fixtures/nn_ops/{conv,pool,norm,misc}.safetensors (committed)

Each file holds tensors named "<case>.<name>" and a `cases` metadata entry: a JSON list of
{name, op, args, inputs, grads}. `args` are the TypeScript options (camelCase); the same dict, in
snake_case, is what the PyTorch call below received. For every case the output `y` is stored, an
upstream gradient `gy` (random, so every gradient is exercised with non-trivial weights) and
`grad.<input>` for each differentiated input.
"""
import json
import os
import re
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "nn_ops")


def snake(args):
    return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in args.items()}


def py_args(args):
    a = snake(args)
    for k, v in list(a.items()):
        if isinstance(v, list) and k != "pad" and k != "output_size":
            a[k] = tuple(v)
    if "output_size" in a and isinstance(a["output_size"], list):
        a["output_size"] = tuple(a["output_size"])
    return a


# op -> PyTorch call taking the input dict and the snake_case args
CALLS = {
    "conv2d": lambda i, a: F.conv2d(i["x"], i["weight"], i.get("bias"), **a),
    "conv1d": lambda i, a: F.conv1d(i["x"], i["weight"], i.get("bias"), **a),
    "maxPool2d": lambda i, a: F.max_pool2d(i["x"], **a),
    "maxPool1d": lambda i, a: F.max_pool1d(i["x"], **a),
    "avgPool2d": lambda i, a: F.avg_pool2d(i["x"], **a),
    "avgPool1d": lambda i, a: F.avg_pool1d(i["x"], **a),
    "adaptiveAvgPool2d": lambda i, a: F.adaptive_avg_pool2d(i["x"], **a),
    "adaptiveAvgPool1d": lambda i, a: F.adaptive_avg_pool1d(i["x"], **a),
    "adaptiveMaxPool2d": lambda i, a: F.adaptive_max_pool2d(i["x"], **a),
    "adaptiveMaxPool1d": lambda i, a: F.adaptive_max_pool1d(i["x"], **a),
    "batchNorm": lambda i, a: F.batch_norm(i["x"], i.get("runningMean"), i.get("runningVar"), i.get("weight"), i.get("bias"), **a),
    "layerNorm": lambda i, a: F.layer_norm(i["x"], weight=i.get("weight"), bias=i.get("bias"), **a),
    "groupNorm": lambda i, a: F.group_norm(i["x"], weight=i.get("weight"), bias=i.get("bias"), **a),
    "embedding": lambda i, a: F.embedding(i["indices"], i["weight"], **a),
    "pad": lambda i, a: F.pad(i["x"], **a),
}


class Family:
    def __init__(self, name):
        self.name, self.tensors, self.cases = name, {}, []

    def put(self, case, key, t):
        self.tensors[f"{case}.{key}"] = t.detach().clone()

    def case(self, name, op, args, inputs, diff=None):
        """Run op on `inputs` (name -> tensor); differentiate w.r.t. the float inputs in `diff`."""
        diff = [k for k in inputs if inputs[k].is_floating_point() and k not in ("runningMean", "runningVar")] if diff is None else diff
        leaves = {k: (v.detach().clone().requires_grad_(k in diff) if v.is_floating_point() else v) for k, v in inputs.items()}
        for k, v in inputs.items():
            self.put(name, k, v)
        out = CALLS[op](leaves, py_args(args))
        y, idx = (out if isinstance(out, tuple) else (out, None))
        gy = torch.randn_like(y)
        if diff:
            y.backward(gy)
        self.put(name, "y", y)
        self.put(name, "gy", gy)
        if idx is not None:
            self.put(name, "indices", idx)
        for k in diff:
            self.put(name, f"grad.{k}", leaves[k].grad)
        if "runningMean" in inputs:  # batchNorm in training mode updates these in place
            self.put(name, "runningMean.after", leaves["runningMean"])
            self.put(name, "runningVar.after", leaves["runningVar"])
        self.cases.append({"name": name, "op": op, "args": args, "inputs": list(inputs), "grads": diff})

    def save(self):
        os.makedirs(OUT, exist_ok=True)
        st.save(os.path.join(OUT, f"{self.name}.safetensors"), self.tensors, {"cases": json.dumps(self.cases)})


def r(*shape):
    return torch.randn(*shape)


def conv_family():
    f = Family("conv")
    c2 = lambda name, x, w, b, **args: f.case(name, "conv2d", args, {"x": x, "weight": w, **({"bias": b} if b is not None else {})})
    c1 = lambda name, x, w, b, **args: f.case(name, "conv1d", args, {"x": x, "weight": w, **({"bias": b} if b is not None else {})})
    c2("basic", r(2, 3, 7, 6), r(4, 3, 3, 3), r(4), padding=1)
    c2("odd_stride_gt_kernel", r(1, 2, 9, 8), r(3, 2, 2, 3), None, stride=[3, 4], padding=[1, 0])
    c2("dilation2", r(2, 2, 9, 9), r(4, 2, 3, 3), r(4), stride=2, padding=2, dilation=2)
    c2("depthwise", r(2, 4, 6, 5), r(4, 1, 3, 3), r(4), padding=1, groups=4)
    c2("groups2", r(1, 4, 7, 7), r(6, 2, 3, 2), r(6), stride=2, padding=[1, 0], groups=2)
    c2("same_even_kernel", r(2, 3, 6, 7), r(2, 3, 4, 3), r(2), padding="same")
    c2("same_dilated_rect", r(1, 2, 5, 8), r(3, 2, 2, 3), None, padding="same", dilation=[1, 2])
    c2("valid_batch1_1x1_stride2", r(1, 4, 7, 7), r(6, 4, 1, 1), None, stride=2, padding="valid")
    c2("stem_7x7", r(1, 3, 16, 16), r(4, 3, 7, 7), None, stride=2, padding=3)
    c2("unbatched", r(3, 5, 5), r(2, 3, 3, 3), r(2))
    c1("c1_textcnn", r(2, 5, 11), r(4, 5, 3), r(4))
    c1("c1_depthwise_dilated", r(2, 5, 12), r(5, 1, 3), r(5), stride=2, padding=1, dilation=2, groups=5)
    c1("c1_same", r(1, 3, 9), r(2, 3, 4), None, padding="same")

    # double backward: L = <gx, rx> + <gw, rw> for (gx, gw) = grad(conv(x, w), (x, w), gy)
    x, w, gy = r(2, 4, 6, 5).requires_grad_(), r(4, 2, 3, 2).requires_grad_(), None
    args = {"stride": 2, "padding": 1, "groups": 2}
    y = F.conv2d(x, w, None, **py_args(args))
    gy = torch.randn_like(y).requires_grad_()
    gx, gw = torch.autograd.grad(y, (x, w), gy, create_graph=True)
    rx, rw = torch.randn_like(gx), torch.randn_like(gw)
    loss = (gx * rx).sum() + (gw * rw).sum()
    ggx, ggw, gggy = torch.autograd.grad(loss, (x, w, gy))
    for k, v in {"x": x, "weight": w, "gy": gy, "rx": rx, "rw": rw, "gx": gx, "gw": gw, "grad.x": ggx, "grad.weight": ggw, "grad.gy": gggy}.items():
        f.put("double", k, v)
    f.cases.append({"name": "double", "op": "conv2dDouble", "args": args, "inputs": ["x", "weight"], "grads": []})
    f.save()


def pool_family():
    f = Family("pool")
    p = lambda name, op, x, **args: f.case(name, op, args, {"x": x})
    ties = lambda *s: torch.randint(-2, 3, s).float()  # many equal values: the first maximum wins
    p("max_resnet", "maxPool2d", r(2, 3, 9, 8), kernelSize=3, stride=2, padding=1)
    p("max_default_stride_odd", "maxPool2d", r(1, 2, 7, 5), kernelSize=2)
    p("max_ceil", "maxPool2d", r(1, 2, 8, 7), kernelSize=3, stride=2, ceilMode=True)
    p("max_ceil_last_window_rule", "maxPool2d", r(1, 1, 5, 5), kernelSize=2, stride=2, padding=1, ceilMode=True)
    p("max_dilation2", "maxPool2d", r(1, 2, 7, 7), kernelSize=3, stride=1, padding=1, dilation=2)
    p("max_stride_gt_kernel", "maxPool2d", r(1, 2, 8, 7), kernelSize=2, stride=3)
    p("max_rect_indices", "maxPool2d", r(2, 2, 6, 7), kernelSize=[2, 3], stride=[1, 2], returnIndices=True)
    p("max_ties", "maxPool2d", ties(1, 2, 6, 6), kernelSize=3, stride=2, padding=1, returnIndices=True)
    p("max_unbatched", "maxPool2d", r(2, 5, 5), kernelSize=2)
    p("max1d", "maxPool1d", r(2, 3, 10), kernelSize=3, stride=2, padding=1)
    p("max1d_ceil_indices", "maxPool1d", r(1, 2, 9), kernelSize=2, ceilMode=True, returnIndices=True)
    p("avg_include_pad", "avgPool2d", r(2, 2, 7, 8), kernelSize=3, stride=2, padding=1)
    p("avg_exclude_pad", "avgPool2d", r(2, 2, 7, 8), kernelSize=3, stride=2, padding=1, countIncludePad=False)
    p("avg_ceil", "avgPool2d", r(1, 2, 8, 7), kernelSize=3, stride=2, ceilMode=True)
    p("avg_ceil_pad_exclude", "avgPool2d", r(1, 2, 6, 6), kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=False)
    p("avg_divisor", "avgPool2d", r(1, 3, 6, 5), kernelSize=2, divisorOverride=5)
    p("avg_rect", "avgPool2d", r(1, 2, 5, 7), kernelSize=[2, 3], stride=[2, 1], padding=[1, 1])
    p("avg1d", "avgPool1d", r(2, 2, 9), kernelSize=3, stride=2, padding=1)
    p("adaptive_avg_1", "adaptiveAvgPool2d", r(2, 3, 7, 7), outputSize=1)
    p("adaptive_avg_uneven", "adaptiveAvgPool2d", r(1, 2, 7, 5), outputSize=[3, 2])
    p("adaptive_avg_none", "adaptiveAvgPool2d", r(1, 2, 5, 6), outputSize=[None, 4])
    p("adaptive_avg_even", "adaptiveAvgPool2d", r(1, 2, 8, 6), outputSize=[4, 3])
    p("adaptive_avg1d", "adaptiveAvgPool1d", r(2, 3, 10), outputSize=4)
    p("adaptive_max_1", "adaptiveMaxPool2d", r(2, 3, 7, 5), outputSize=1)
    p("adaptive_max_uneven_indices", "adaptiveMaxPool2d", r(1, 2, 7, 5), outputSize=[3, 2], returnIndices=True)
    p("adaptive_max_ties", "adaptiveMaxPool2d", ties(1, 2, 7, 6), outputSize=[3, 4], returnIndices=True)
    p("adaptive_max1d_time", "adaptiveMaxPool1d", r(2, 4, 9), outputSize=1)
    p("adaptive_max1d_uneven", "adaptiveMaxPool1d", r(2, 3, 10), outputSize=4, returnIndices=True)
    f.save()


def norm_family():
    f = Family("norm")
    pos = lambda *s: torch.rand(*s) + 0.5
    f.case("bn_eval_4d", "batchNorm", {"training": False}, {"x": r(2, 3, 4, 5), "runningMean": r(3), "runningVar": pos(3), "weight": r(3), "bias": r(3)})
    f.case("bn_eval_2d_plain", "batchNorm", {"training": False, "eps": 1e-3}, {"x": r(4, 3), "runningMean": r(3), "runningVar": pos(3)})
    f.case("bn_train_2d", "batchNorm", {"training": True}, {"x": r(4, 3), "runningMean": r(3), "runningVar": pos(3), "weight": r(3), "bias": r(3)})
    f.case("bn_train_3d", "batchNorm", {"training": True, "momentum": 0.3}, {"x": r(2, 3, 5), "runningMean": r(3), "runningVar": pos(3), "weight": r(3), "bias": r(3)})
    f.case("bn_train_4d", "batchNorm", {"training": True, "eps": 1e-3}, {"x": r(2, 3, 4, 5), "runningMean": torch.zeros(3), "runningVar": torch.ones(3), "weight": r(3), "bias": r(3)})
    # three training steps of a module-like loop: running stats after each, gradients on the last
    rm, rv = torch.zeros(4), torch.ones(4)
    w, b = r(4).requires_grad_(), r(4).requires_grad_()
    f.put("bn_steps", "runningMean", rm)
    f.put("bn_steps", "runningVar", rv)
    f.put("bn_steps", "weight", w)
    f.put("bn_steps", "bias", b)
    for step in range(3):
        x = (r(3, 4, 3, 2) * (step + 1) + step).requires_grad_()
        y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
        gy = torch.randn_like(y)
        y.backward(gy)
        for k, v in {"x": x, "y": y, "gy": gy, "grad.x": x.grad, "runningMean.after": rm, "runningVar.after": rv}.items():
            f.put("bn_steps", f"{step}.{k}", v)
    f.put("bn_steps", "grad.weight", w.grad)
    f.put("bn_steps", "grad.bias", b.grad)
    f.cases.append({"name": "bn_steps", "op": "batchNormSteps", "args": {"training": True, "momentum": 0.1, "steps": 3}, "inputs": [], "grads": []})
    f.case("ln_affine", "layerNorm", {"normalizedShape": [5]}, {"x": r(2, 3, 5), "weight": r(5), "bias": r(5)})
    f.case("ln_2dims_plain", "layerNorm", {"normalizedShape": [3, 4], "eps": 1e-3}, {"x": r(2, 3, 4) * 3 + 1})
    f.case("gn_affine", "groupNorm", {"numGroups": 3}, {"x": r(2, 6, 4, 3), "weight": r(6), "bias": r(6)})
    f.case("gn_3d_plain", "groupNorm", {"numGroups": 2}, {"x": r(2, 4, 5)})
    f.case("gn_instance", "groupNorm", {"numGroups": 4, "eps": 1e-3}, {"x": r(1, 4, 3, 3), "weight": r(4), "bias": r(4)})
    f.save()


def misc_family():
    f = Family("misc")
    idx = torch.tensor([[1, 0, 3, 3, 9], [0, 2, 7, 1, 1]], dtype=torch.int64)
    f.case("emb", "embedding", {}, {"indices": idx, "weight": r(10, 4)})
    f.case("emb_padding0", "embedding", {"paddingIdx": 0}, {"indices": idx, "weight": r(10, 4)})
    f.case("emb_padding_neg", "embedding", {"paddingIdx": -1}, {"indices": idx, "weight": r(10, 4)})
    f.case("emb_1d", "embedding", {}, {"indices": torch.tensor([4, 4, 2], dtype=torch.int64), "weight": r(6, 3)})
    f.case("pad_const", "pad", {"pad": [1, 2], "value": 0.5}, {"x": r(2, 3, 4)})
    f.case("pad_const_4d", "pad", {"pad": [1, 0, 2, 1]}, {"x": r(1, 2, 3, 4)})
    f.case("pad_const_negative", "pad", {"pad": [-1, 2, 1, -1]}, {"x": r(2, 3, 4)})
    f.case("pad_reflect", "pad", {"pad": [2, 1, 1, 2], "mode": "reflect"}, {"x": r(1, 2, 4, 5)})
    f.case("pad_replicate", "pad", {"pad": [2, 3], "mode": "replicate"}, {"x": r(2, 3, 4)})
    f.case("pad_circular", "pad", {"pad": [1, 2, 2, 1], "mode": "circular"}, {"x": r(1, 2, 3, 4)})
    f.save()


if __name__ == "__main__":
    torch.manual_seed(0)
    conv_family()
    pool_family()
    norm_family()
    misc_family()
    for n in sorted(os.listdir(OUT)):
        print(n, os.path.getsize(os.path.join(OUT, n)), "bytes")
