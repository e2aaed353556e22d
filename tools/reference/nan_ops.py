"""PyTorch reference for NaN and ±inf through the ops that compare or select (run with /usr/bin/python3).

  nan_ops.py  -> test/fixtures/ops/nan.safetensors (committed; test/autograd/nan.test.ts reads it)

PyTorch propagates NaN through relu, clamp/hardtanh, maximum/minimum, max pooling and max/min
reductions, passes a NaN input's gradient through relu (threshold_backward: y <= 0 ? 0 : g) and
maximum/minimum (only the losing side is zeroed), counts NaN as true and NaN != NaN.

hardtanh's and elu's backward at NaN differ inside PyTorch 1.13's cpu kernels: the vectorised body
(blocks of 16 floats on AVX2) gives 0 and NaN, the scalar tail (and CUDA) the upstream gradient.
finetorch follows the vectorised body, what almost every element of a real tensor takes, so the NaNs
of SPECIALS sit in its first 16 elements, and main() checks that this build vectorises. Each case stores `<case>.in<i>`, `<case>.out<j>` and, where the op
is differentiable, a random upstream gradient `<case>.gout<j>` and the input gradients `<case>.grad<i>`.
`__metadata__.cases` is a JSON list of { name, op, args, grad, outs } in finetorch's argument names;
scalars that JSON cannot spell are strings ("NaN", "Infinity", "-Infinity").
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "ops", "nan.safetensors")
NAN, INF = float("nan"), float("inf")

# the specials and some ordinary values, 20 of them (a [4, 5] tensor): NaN, ±inf, ±0, the bounds
# the activations test (±1, 6), values on either side of them
SPECIALS = [NAN, INF, -INF, 0.0, -0.0, 2.0, -2.0, 0.5, 1.0, -1.0, 6.0, 7.0, -0.25, NAN, 3.0, -5.0, 1e-30, -1e-30, 0.75, -INF]


def enc(v):
    """a scalar for the JSON metadata"""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


UNARY = {
    "relu": lambda x, a: F.relu(x),
    "hardtanh": lambda x, a: F.hardtanh(x, a["minVal"], a["maxVal"]),
    "leakyRelu": lambda x, a: F.leaky_relu(x, a["negativeSlope"]),
    "elu": lambda x, a: F.elu(x, a["alpha"]),
    "gelu": lambda x, a: F.gelu(x, approximate=a["approximate"]),
    "silu": lambda x, a: F.silu(x),
    "softplus": lambda x, a: F.softplus(x),
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
    "clamp": lambda x, a: torch.clamp(x, a.get("min"), a.get("max")),
    "abs": lambda x, a: torch.abs(x),
    "sign": lambda x, a: torch.sign(x),
}


def check_vectorised():
    """the NaN gradients recorded below are those of the vectorised kernels (see the docstring)"""
    x = torch.full((64,), NAN, requires_grad=True)
    F.hardtanh(x).backward(torch.ones(64))
    assert (x.grad == 0).all(), "hardtanh's backward at NaN is not the vectorised one here"
    x.grad = None
    F.elu(x).backward(torch.ones(64))
    assert x.grad.isnan().all(), "elu's backward at NaN is not the vectorised one here"
    assert not any(math.isnan(v) for v in SPECIALS[16:]), "a NaN in the scalar tail of SPECIALS"


def main():
    check_vectorised()
    g = torch.Generator().manual_seed(0)
    tensors, meta = {}, []

    def add(name, op, args, inputs, outs, grad):
        """outs: the op's outputs (float ones get an upstream gradient when `grad`)"""
        for i, x in enumerate(inputs):
            tensors[f"{name}.in{i}"] = x.detach()
        for j, y in enumerate(outs):
            tensors[f"{name}.out{j}"] = y.detach()
        if grad:
            gouts = [torch.randn(y.shape, generator=g) for y in outs if y.is_floating_point()]
            leaves = [x for x in inputs if x.requires_grad]
            grads = torch.autograd.grad([y for y in outs if y.is_floating_point()], leaves, gouts, allow_unused=True)
            for j, go in enumerate(gouts):
                tensors[f"{name}.gout{j}"] = go
            for i, gr in enumerate(grads):
                tensors[f"{name}.grad{i}"] = gr if gr is not None else torch.zeros_like(leaves[i])
        meta.append({"name": name, "op": op, "args": {k: enc(v) for k, v in args.items()}, "grad": grad, "outs": len(outs)})

    def leaf(values, shape=None):
        t = torch.tensor(values, dtype=torch.float32)
        return (t.reshape(shape) if shape else t).requires_grad_(True)

    x = lambda: leaf(SPECIALS, (4, 5))  # noqa: E731

    # ---- activations: forward and backward at the specials
    for name, op, args in [
        ("relu", "relu", {}),
        ("hardtanh", "hardtanh", {"minVal": -1.0, "maxVal": 1.0}),
        ("hardtanh_0_6", "hardtanh", {"minVal": 0.0, "maxVal": 6.0}),  # relu6
        ("leaky_relu", "leakyRelu", {"negativeSlope": 0.1}),
        ("elu", "elu", {"alpha": 1.5}),
        ("gelu", "gelu", {"approximate": "none"}),
        ("gelu_tanh", "gelu", {"approximate": "tanh"}),
        ("silu", "silu", {}),
        ("softplus", "softplus", {}),
        ("sigmoid", "sigmoid", {}),
        ("tanh", "tanh", {}),
        ("clamp", "clamp", {"min": -1.0, "max": 1.0}),
        ("clamp_min", "clamp", {"min": -1.0}),
        ("clamp_max", "clamp", {"max": 1.0}),
        ("abs", "abs", {}),
        ("sign", "sign", {}),
    ]:
        xi = x()
        add(name, op, args, [xi], [UNARY[op](xi, args)], True)

    # ---- maximum / minimum: NaN on either side, both sides, ties, ±inf
    a_vals = [NAN, 1.0, NAN, 2.0, INF, -INF, 3.0, 3.0, -0.0, NAN, 5.0, -1.0]
    b_vals = [1.0, NAN, NAN, -INF, 2.0, 5.0, 3.0, NAN, 0.0, INF, -INF, -1.0]
    for op, fn in [("maximum", torch.maximum), ("minimum", torch.minimum)]:
        a, b = leaf(a_vals, (3, 4)), leaf(b_vals, (3, 4))
        add(op, op, {}, [a, b], [fn(a, b)], True)
    a, b = leaf(a_vals, (3, 4)), leaf([NAN, 0.5, -INF, 2.0])  # broadcast [4] over [3, 4]
    add("maximum_broadcast", "maximum", {}, [a, b], [torch.maximum(a, b)], True)

    # ---- comparisons and logic: NaN compares unequal to everything and is true as a bool
    a, b = torch.tensor(a_vals), torch.tensor(b_vals)
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        add(f"{op}_tensor", op, {}, [a, b], [getattr(torch, op)(a, b)], False)
    for op, s in [("ne", 1.0), ("eq", 1.0), ("ne", NAN), ("eq", NAN), ("gt", 0.0), ("le", 0.0), ("ge", INF)]:
        add(f"{op}_scalar_{enc(s)}", op, {"scalar": s}, [a], [getattr(torch, op)(a, s)], False)
    sp = torch.tensor(SPECIALS)
    add("logical_not", "logicalNot", {}, [sp], [torch.logical_not(sp)], False)
    add("logical_and", "logicalAnd", {}, [a, b], [torch.logical_and(a, b)], False)
    add("logical_or", "logicalOr", {}, [a, torch.zeros(12)], [torch.logical_or(a, torch.zeros(12))], False)
    add("to_bool", "bool", {}, [sp], [sp.bool()], False)

    # ---- max pooling: a NaN wins its window; PyTorch's index is the last NaN in the window
    p = torch.arange(60, dtype=torch.float32).reshape(1, 2, 5, 6).remainder(7) - 3
    p[0, 0, 0, 1] = NAN
    p[0, 0, 1, 2] = NAN
    p[0, 0, 1, 0] = NAN
    p[0, 0, 3, 4] = INF
    p[0, 0, 4, :] = -INF
    p[0, 1, 2, 2] = NAN
    p[0, 1, 2, 3] = NAN
    for name, args in [
        ("pool_k2", {"kernelSize": 2, "stride": 2, "padding": 0, "dilation": 1}),
        ("pool_k3p1", {"kernelSize": 3, "stride": 1, "padding": 1, "dilation": 1}),
        ("pool_k2d2", {"kernelSize": 2, "stride": 1, "padding": 0, "dilation": 2}),
    ]:
        xi = p.clone().requires_grad_(True)
        v, i = F.max_pool2d(xi, args["kernelSize"], args["stride"], args["padding"], args["dilation"], return_indices=True)
        add(name, "maxPool2d", args, [xi], [v, i], True)

    # ---- reductions: the first NaN along the dim wins, its index too
    r_short = torch.tensor([
        [1.0, NAN, 3.0, NAN, 0.0, 2.0, 1.0, 0.5],
        [-INF] * 8,
        [INF] * 8,
        [2.0, INF, 5.0, 1.0, -INF, 0.0, 7.0, NAN],
        [4.0, 1.0, 4.0, -2.0, 0.0, -2.0, 3.0, 1.0],
        [NAN] * 8,
    ])  # rows 6, cols 8: one invocation per row
    r_long = torch.linspace(-1, 1, 288).reshape(3, 96).sin()  # few long rows: a workgroup per row
    r_long[0, [5, 40, 90, 69]] = NAN  # NaNs that different lanes of the workgroup see first
    r_long[1, 95] = NAN
    r_long[2, [7, 71]] = 2.0  # a tie: the first wins
    r_long[2, 30] = -INF
    r_axis = torch.linspace(-2, 2, 200).reshape(40, 5).cos()
    r_axis[[3, 30], 0] = NAN
    r_axis[39, 1] = NAN
    r_axis[:, 2] = -INF
    r_axis[10, 3] = INF
    for tag, t, dim in [("short", r_short, 1), ("long", r_long, 1), ("axis", r_axis, 0)]:
        for op in ["max", "min"]:
            xi = t.clone().requires_grad_(True)
            r = getattr(torch, op)(xi, dim)
            add(f"{op}_dim_{tag}", op, {"dim": dim}, [xi], [r.values, r.indices], True)
        for op in ["argmax", "argmin"]:
            add(f"{op}_{tag}", op, {"dim": dim}, [t], [getattr(torch, op)(t, dim)], False)
        for op in ["amax", "amin"]:  # the gradient is shared by the elements equal to the result: none in a NaN row
            xi = t.clone().requires_grad_(True)
            add(f"{op}_{tag}", op, {"dims": [dim]}, [xi], [getattr(torch, op)(xi, dim)], True)
    add("max_all", "max", {}, [r_long], [torch.max(r_long)], False)
    add("argmax_all", "argmax", {}, [r_short], [torch.argmax(r_short)], False)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    st.save(OUT, tensors, {"family": "nan", "cases": json.dumps(meta)})
    print(f"{OUT}: {len(meta)} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
