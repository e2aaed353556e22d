"""PyTorch reference fixtures for the core op set (run with /usr/bin/python3).

  ops.py  -> test/fixtures/ops/<family>.safetensors (committed)

Every case records its inputs, outputs, a random upstream gradient for each float output and the
gradient of every input that requires one. Values are drawn in float32, the reference is computed
in float64 (so the fixture is the exact answer, not PyTorch's float32 rounding) and stored as
float32; int64 is stored as int32. Tensor names are `<case>.in<i>`, `<case>.out<j>`,
`<case>.gout<j>`, `<case>.grad<i>`. `__metadata__.cases` is a JSON list of
{ name, op, args, inputs: [{ grad, layout }] } in the argument names finetorch uses; the TS test
(test/autograd/ops.test.ts) maps `op` + `args` to its own call, the table OPS below to PyTorch's.
`layout` asks the test to feed the input as a non-contiguous view: 'T' = stored transposed and
transposed back (last two dims), 'S' = every other element of a larger buffer, at an offset.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "ops")


# ---- the ops, keyed as the TS test keys them; `a` holds finetorch's argument names -------------
def _scalar_binary(fn):
    def run(xs, a):
        if "scalar" in a:
            return fn(a["scalar"], xs[0]) if a.get("left") else fn(xs[0], a["scalar"])
        return fn(xs[0], xs[1])
    return run


def _red(fn):
    return lambda xs, a: fn(xs[0], a["dims"], keepdim=a.get("keepdim", False)) if a.get("dims") is not None else fn(xs[0])


def _maxmin(fn):
    def run(xs, a):
        if a.get("dim") is None:
            return fn(xs[0])
        r = fn(xs[0], a["dim"], keepdim=a.get("keepdim", False))
        return (r.values, r.indices)
    return run


def _var(fn):
    def run(xs, a):
        kw = {"unbiased": a.get("unbiased", True)}
        if a.get("dims") is None:
            return fn(xs[0], **kw)
        return fn(xs[0], a["dims"], keepdim=a.get("keepdim", False), **kw)
    return run


def _reduction(a):
    return {"reduction": a.get("reduction", "mean")}


OPS = {
    # elementwise
    "add": lambda xs, a: (a["scalar"] + xs[0]) if "scalar" in a else torch.add(xs[0], xs[1], alpha=a.get("alpha", 1)),
    "sub": lambda xs, a: ((a["scalar"] - xs[0]) if a.get("left") else (xs[0] - a["scalar"])) if "scalar" in a else torch.sub(xs[0], xs[1], alpha=a.get("alpha", 1)),
    "mul": _scalar_binary(lambda x, y: x * y),
    "div": _scalar_binary(lambda x, y: x / y),
    "pow": _scalar_binary(lambda x, y: x ** y),
    "maximum": lambda xs, a: torch.maximum(xs[0], xs[1]),
    "minimum": lambda xs, a: torch.minimum(xs[0], xs[1]),
    "neg": lambda xs, a: torch.neg(xs[0]),
    "exp": lambda xs, a: torch.exp(xs[0]),
    "log": lambda xs, a: torch.log(xs[0]),
    "sqrt": lambda xs, a: torch.sqrt(xs[0]),
    "rsqrt": lambda xs, a: torch.rsqrt(xs[0]),
    "abs": lambda xs, a: torch.abs(xs[0]),
    "sign": lambda xs, a: torch.sign(xs[0]),
    "reciprocal": lambda xs, a: torch.reciprocal(xs[0]),
    "sin": lambda xs, a: torch.sin(xs[0]),
    "cos": lambda xs, a: torch.cos(xs[0]),
    "clamp": lambda xs, a: torch.clamp(xs[0], min=a.get("min"), max=a.get("max")),
    "where": lambda xs, a: torch.where(xs[0], a["x"] if "x" in a else xs[1], a["y"] if "y" in a else xs[-1]),
    # comparisons (bool results)
    "eq": _scalar_binary(torch.eq),
    "ne": _scalar_binary(torch.ne),
    "lt": _scalar_binary(torch.lt),
    "le": _scalar_binary(torch.le),
    "gt": _scalar_binary(torch.gt),
    "ge": _scalar_binary(torch.ge),
    # reductions
    "sum": _red(torch.sum),
    "mean": _red(torch.mean),
    "amax": _red(torch.amax),
    "amin": _red(torch.amin),
    "max": _maxmin(torch.max),
    "min": _maxmin(torch.min),
    "argmax": lambda xs, a: torch.argmax(xs[0], a.get("dim"), keepdim=a.get("keepdim", False)),
    "argmin": lambda xs, a: torch.argmin(xs[0], a.get("dim"), keepdim=a.get("keepdim", False)),
    "var": _var(torch.var),
    "std": _var(torch.std),
    "logsumexp": lambda xs, a: torch.logsumexp(xs[0], a["dims"], keepdim=a.get("keepdim", False)),
    # linear algebra
    "matmul": lambda xs, a: torch.matmul(xs[0], xs[1]),
    "linear": lambda xs, a: F.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None),
    # shapes
    "reshape": lambda xs, a: xs[0].reshape(a["shape"]),
    "view": lambda xs, a: xs[0].view(a["shape"]),
    "flatten": lambda xs, a: xs[0].flatten(a.get("startDim", 0), a.get("endDim", -1)),
    "unflatten": lambda xs, a: xs[0].unflatten(a["dim"], a["sizes"]),
    "squeeze": lambda xs, a: xs[0].squeeze(a["dim"]) if "dim" in a else xs[0].squeeze(),
    "unsqueeze": lambda xs, a: xs[0].unsqueeze(a["dim"]),
    "transpose": lambda xs, a: xs[0].transpose(a["d0"], a["d1"]),
    "permute": lambda xs, a: xs[0].permute(a["dims"]),
    "t": lambda xs, a: xs[0].t(),
    "expand": lambda xs, a: xs[0].expand(a["shape"]),
    "narrow": lambda xs, a: xs[0].narrow(a["dim"], a["start"], a["length"]),
    "select": lambda xs, a: xs[0].select(a["dim"], a["index"]),
    "slice": lambda xs, a: xs[0][(slice(None),) * (a["dim"] % xs[0].dim()) + (slice(a.get("start"), a.get("end"), a.get("step", 1)),)],
    "indexSelect": lambda xs, a: torch.index_select(xs[0], a["dim"], xs[1].long()),
    "gather": lambda xs, a: torch.gather(xs[0], a["dim"], xs[1].long()),
    "cat": lambda xs, a: torch.cat(xs, a.get("dim", 0)),
    "stack": lambda xs, a: torch.stack(xs, a.get("dim", 0)),
    "split": lambda xs, a: tuple(torch.split(xs[0], a["size"], a.get("dim", 0))),
    "chunk": lambda xs, a: tuple(torch.chunk(xs[0], a["chunks"], a.get("dim", 0))),
    # activations
    "relu": lambda xs, a: F.relu(xs[0]),
    "leakyRelu": lambda xs, a: F.leaky_relu(xs[0], a.get("negativeSlope", 0.01)),
    "elu": lambda xs, a: F.elu(xs[0], a.get("alpha", 1.0)),
    "gelu": lambda xs, a: F.gelu(xs[0], approximate=a.get("approximate", "none")),
    "sigmoid": lambda xs, a: torch.sigmoid(xs[0]),
    "tanh": lambda xs, a: torch.tanh(xs[0]),
    "silu": lambda xs, a: F.silu(xs[0]),
    "softplus": lambda xs, a: F.softplus(xs[0], a.get("beta", 1), a.get("threshold", 20)),
    "hardtanh": lambda xs, a: F.hardtanh(xs[0], a.get("minVal", -1.0), a.get("maxVal", 1.0)),
    "softmax": lambda xs, a: F.softmax(xs[0], a["dim"]),
    "logSoftmax": lambda xs, a: F.log_softmax(xs[0], a["dim"]),
    # losses
    "crossEntropy": lambda xs, a: F.cross_entropy(
        xs[0], xs[1].long() if xs[1].dtype != torch.float64 else xs[1], weight=xs[2] if len(xs) > 2 else None,
        ignore_index=a.get("ignoreIndex", -100), label_smoothing=a.get("labelSmoothing", 0.0), **_reduction(a)),
    "nllLoss": lambda xs, a: F.nll_loss(xs[0], xs[1].long(), weight=xs[2] if len(xs) > 2 else None,
                                        ignore_index=a.get("ignoreIndex", -100), **_reduction(a)),
    "mseLoss": lambda xs, a: F.mse_loss(xs[0], xs[1], **_reduction(a)),
    "l1Loss": lambda xs, a: F.l1_loss(xs[0], xs[1], **_reduction(a)),
    "smoothL1Loss": lambda xs, a: F.smooth_l1_loss(xs[0], xs[1], beta=a.get("beta", 1.0), **_reduction(a)),
    "huberLoss": lambda xs, a: F.huber_loss(xs[0], xs[1], delta=a.get("delta", 1.0), **_reduction(a)),
    "binaryCrossEntropy": lambda xs, a: F.binary_cross_entropy(xs[0], xs[1], weight=xs[2] if len(xs) > 2 else None, **_reduction(a)),
    "binaryCrossEntropyWithLogits": lambda xs, a: F.binary_cross_entropy_with_logits(
        xs[0], xs[1], weight=xs[2] if a.get("weight") else None,
        pos_weight=xs[-1] if a.get("posWeight") else None, **_reduction(a)),
}


# ---- inputs ----------------------------------------------------------------------------------
def R(*shape, scale=1.0, shift=0.0):
    """normal values (float32 draws)"""
    return torch.randn(shape) * scale + shift


def POS(*shape, lo=0.5):
    """positive values, away from zero"""
    return torch.randn(shape).abs() + lo


def NZ(*shape):
    """values away from zero, either sign"""
    x = torch.randn(shape)
    return torch.where(x >= 0, x + 0.5, x - 0.5)


def TIES(*shape, lo=-2, hi=3):
    """small integers as floats: many ties"""
    return torch.randint(lo, hi, shape).float()


def U(*shape, lo=0.05, hi=0.95):
    return torch.rand(shape) * (hi - lo) + lo


def IDX(hi, *shape):
    return torch.randint(0, hi, shape, dtype=torch.int32)


def I(value, grad=None, layout=None):
    """one input; float inputs require grad unless told otherwise"""
    t = value if torch.is_tensor(value) else torch.tensor(value)
    return {"value": t, "grad": t.is_floating_point() if grad is None else grad, "layout": layout}


def const(value):
    return I(value, grad=False)


FILES = {}


NOT_DIFFERENTIABLE = {"eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin"}


def case(family, op, name, inputs, args=None):
    inputs = [x if isinstance(x, dict) else I(x) for x in inputs]
    if op in NOT_DIFFERENTIABLE:
        inputs = [{**x, "grad": False} for x in inputs]
    FILES.setdefault(family, []).append({"op": op, "name": f"{op}.{name}", "inputs": inputs, "args": args or {}})


def run_case(c, tensors):
    xs = []
    for k, inp in enumerate(c["inputs"]):
        v = inp["value"]
        tensors[f"{c['name']}.in{k}"] = v
        x = v.double() if v.is_floating_point() else v
        if inp["layout"] == "T":
            x = x.transpose(-1, -2).contiguous().transpose(-1, -2)
        x = x.detach()
        if inp["grad"]:
            x.requires_grad_(True)
        xs.append(x)
    outs = OPS[c["op"]](xs, c["args"])
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    roots, grads = [], []
    for j, o in enumerate(outs):
        tensors[f"{c['name']}.out{j}"] = o
        if o.requires_grad:
            g = torch.randn(o.shape, dtype=torch.float32)
            tensors[f"{c['name']}.gout{j}"] = g
            roots.append(o)
            grads.append(g.double())
    if roots:
        torch.autograd.backward(roots, grads)
    for k, x in enumerate(xs):
        if c["inputs"][k]["grad"]:
            assert x.grad is not None, f"{c['name']}: input {k} got no gradient"
            tensors[f"{c['name']}.grad{k}"] = x.grad


def build():
    torch.manual_seed(0)
    T = "T"
    S = "S"
    # ---------------- elementwise ----------------
    E = "elementwise"
    shapes2 = [("same", [3, 4], [3, 4]), ("bcast_row", [2, 3, 4], [4]), ("bcast_both", [3, 1], [1, 4]),
               ("scalar0d", [], [2, 3]), ("size1", [5], [1]), ("empty", [2, 0, 3], [3])]
    for op in ["add", "sub", "mul", "maximum", "minimum"]:
        for nm, sa, sb in shapes2:
            case(E, op, nm, [R(*sa), R(*sb)])
        case(E, op, "transposed", [I(R(4, 3), layout=T), I(R(4, 3), layout=S)])
        case(E, op, "one_frozen", [R(3, 4), I(R(1, 4), grad=False)])
    for op in ["maximum", "minimum"]:
        case(E, op, "ties", [TIES(4, 5), TIES(4, 5)])
        case(E, op, "ties_bcast", [TIES(3, 4), TIES(4)])
    for op in ["add", "sub"]:
        case(E, op, "alpha", [R(3, 4), R(4)], {"alpha": 2.5})
        case(E, op, "scalar_right", [R(3, 4)], {"scalar": 1.5})
        case(E, op, "scalar_left", [R(3, 4)], {"scalar": -2.25, "left": True})
    case(E, "add", "int_float", [IDX(5, 3, 4), R(3, 4)])
    case(E, "mul", "int_int", [IDX(5, 3, 4), IDX(5, 4)])
    case(E, "mul", "scalar_right", [I(R(3, 4), layout=T)], {"scalar": -3.0})
    case(E, "mul", "scalar_left", [R(2, 3)], {"scalar": 0.5, "left": True})
    for nm, sa, sb in shapes2:
        case(E, "div", nm, [R(*sa), NZ(*sb)])
    case(E, "div", "transposed", [I(R(4, 3), layout=T), I(NZ(4, 3), layout=T)])
    case(E, "div", "scalar_right", [R(3, 4)], {"scalar": 4.0})
    case(E, "div", "scalar_left", [NZ(3, 4)], {"scalar": 2.0, "left": True})
    case(E, "div", "int_int", [IDX(7, 3, 4), const(torch.randint(1, 4, (3, 4), dtype=torch.int32))])
    case(E, "pow", "tensor_tensor", [POS(3, 4), R(3, 4)])
    case(E, "pow", "bcast", [POS(2, 3, 4), R(4)])
    case(E, "pow", "zero_base", [torch.tensor([0.0, 0.0, 1.5, 2.0, 0.0]), torch.tensor([2.0, 3.0, 0.5, -1.0, 0.0])])
    case(E, "pow", "scalar_exp", [POS(3, 4)], {"scalar": 2.5})
    case(E, "pow", "int_exp_neg_base", [R(3, 4)], {"scalar": 3.0})
    case(E, "pow", "square", [I(R(4, 3), layout=T)], {"scalar": 2.0})
    case(E, "pow", "sqrt_exp", [POS(5)], {"scalar": 0.5})
    case(E, "pow", "neg_exp", [NZ(5)], {"scalar": -2.0})
    case(E, "pow", "zero_exp", [R(5)], {"scalar": 0.0})
    case(E, "pow", "one_exp", [R(5)], {"scalar": 1.0})
    case(E, "pow", "scalar_base", [R(3, 4)], {"scalar": 2.0, "left": True})
    unary = {"neg": R, "exp": R, "log": POS, "sqrt": POS, "rsqrt": POS, "abs": R, "sign": R,
             "reciprocal": NZ, "sin": R, "cos": R}
    for op, gen in unary.items():
        case(E, op, "2d", [gen(3, 4)])
        case(E, op, "transposed", [I(gen(2, 4, 3), layout=T)])
        case(E, op, "strided", [I(gen(7), layout=S)])
        case(E, op, "0d", [gen()])
        case(E, op, "empty", [gen(0, 3)])
    case(E, "abs", "zeros", [torch.tensor([-1.5, 0.0, 2.0, -0.0])])
    case(E, "sign", "zeros", [torch.tensor([-1.5, 0.0, 2.0, -0.0])])
    case(E, "exp", "large", [R(8, scale=20)])
    bounds = torch.tensor([[-2.0, -1.0, -0.5, 0.0], [0.5, 1.0, 1.5, 3.0]])
    case(E, "clamp", "min_max", [bounds], {"min": -1.0, "max": 1.0})
    case(E, "clamp", "min_only", [R(3, 4)], {"min": 0.1})
    case(E, "clamp", "max_only", [I(R(4, 3), layout=T)], {"max": -0.2})
    case(E, "clamp", "empty", [R(0)], {"min": 0.0, "max": 1.0})
    cond = lambda *s: torch.rand(*s) > 0.5  # noqa: E731
    case(E, "where", "same", [cond(3, 4), R(3, 4), R(3, 4)])
    case(E, "where", "bcast", [cond(3, 1), R(4), R(2, 3, 4)])
    case(E, "where", "scalar_x", [cond(3, 4), R(3, 4)], {"x": 0.5})
    case(E, "where", "scalar_y", [cond(3, 4), I(R(3, 4), layout=T)], {"y": -1.0})
    case(E, "where", "frozen_x", [cond(2, 3), I(R(2, 3), grad=False), R(1, 3)])

    # ---------------- comparisons ----------------
    C = "compare"
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        case(C, op, "same", [TIES(3, 4), TIES(3, 4)])
        case(C, op, "bcast", [TIES(2, 3, 4), I(TIES(4), layout=S)])
        case(C, op, "scalar", [I(TIES(4, 3), layout=T)], {"scalar": 1.0})
        case(C, op, "int", [IDX(3, 3, 4), IDX(3, 4)])
        case(C, op, "empty", [R(0, 2), R(2)])

    # ---------------- reductions ----------------
    Rd = "reduce"
    for op in ["sum", "mean"]:
        case(Rd, op, "all", [R(3, 4)])
        case(Rd, op, "dim1", [R(3, 4, 5)], {"dims": 1})
        case(Rd, op, "dims_keepdim", [R(2, 3, 4)], {"dims": [0, 2], "keepdim": True})
        case(Rd, op, "negdim", [R(2, 3, 4)], {"dims": -1})
        case(Rd, op, "transposed", [I(R(3, 5, 4), layout=T)], {"dims": [1]})
        case(Rd, op, "size1", [R(3, 1, 4)], {"dims": 1, "keepdim": True})
        case(Rd, op, "0d", [R()])
        # a long reduction (256 terms): the test compares it with the LOOSE tolerance
        case(Rd, op, "long", [R(2, 256)], {"dims": 1})
    case(Rd, "sum", "empty_dim", [R(2, 0, 3)], {"dims": 1})
    case(Rd, "sum", "empty_all", [R(0, 3)])
    case(Rd, "sum", "int", [IDX(5, 3, 4)], {"dims": 0})
    case(Rd, "sum", "bool", [torch.rand(3, 4) > 0.5], {"dims": 1})
    case(Rd, "mean", "all_dims_list", [R(2, 3)], {"dims": [0, 1]})
    for op in ["amax", "amin"]:
        case(Rd, op, "all", [R(3, 4)])
        case(Rd, op, "dim", [R(3, 4, 5)], {"dims": 1})
        case(Rd, op, "dims_keepdim", [R(2, 3, 4)], {"dims": [0, 2], "keepdim": True})
        case(Rd, op, "ties", [TIES(4, 6)], {"dims": 1})
        case(Rd, op, "ties_all", [TIES(3, 3, lo=0, hi=2)])
        case(Rd, op, "transposed", [I(R(3, 5, 4), layout=T)], {"dims": -1})
    for op in ["max", "min"]:
        case(Rd, op, "all", [R(3, 4)])
        case(Rd, op, "all_ties", [TIES(4, 4, lo=0, hi=2)])
        case(Rd, op, "dim", [R(3, 4, 5)], {"dim": 1})
        case(Rd, op, "dim_keepdim", [R(3, 4)], {"dim": -1, "keepdim": True})
        case(Rd, op, "transposed", [I(R(2, 5, 4), layout=T)], {"dim": 2})
    for op in ["argmax", "argmin"]:
        case(Rd, op, "flat", [R(3, 4)])
        case(Rd, op, "dim", [R(3, 4, 5)], {"dim": 1})
        case(Rd, op, "dim_keepdim", [R(3, 4)], {"dim": 0, "keepdim": True})
        case(Rd, op, "ties_first", [TIES(5, 6, lo=0, hi=2)], {"dim": 1})
        case(Rd, op, "long_row", [R(3, 300)], {"dim": 1})
        case(Rd, op, "transposed", [I(R(4, 6), layout=T)], {"dim": 0})
    for op in ["var", "std"]:
        case(Rd, op, "all", [R(4, 5)])
        case(Rd, op, "dim", [R(3, 6)], {"dims": 1})
        case(Rd, op, "dims_keepdim", [R(2, 3, 4)], {"dims": [0, 2], "keepdim": True})
        case(Rd, op, "biased", [R(3, 6)], {"dims": 0, "unbiased": False})
        case(Rd, op, "transposed", [I(R(3, 5, 4), layout=T)], {"dims": -1})
        case(Rd, op, "offset", [R(5, 4, shift=3.0)], {"dims": 1})
        # a constant row: zero spread (std's gradient there is 0 in PyTorch, not NaN)
        case(Rd, op, "constant_row", [torch.cat([R(2, 4), torch.full((1, 4), 0.75)])], {"dims": 1})
    case(Rd, "logsumexp", "dim", [R(3, 5)], {"dims": 1})
    case(Rd, "logsumexp", "dims_keepdim", [R(2, 3, 4)], {"dims": [0, 2], "keepdim": True})
    case(Rd, "logsumexp", "large", [R(3, 6, scale=50, shift=1000)], {"dims": -1})
    case(Rd, "logsumexp", "large_neg", [R(4, 3, scale=50, shift=-1000)], {"dims": 0})
    case(Rd, "logsumexp", "transposed", [I(R(4, 5, scale=30), layout=T)], {"dims": 0, "keepdim": True})
    case(Rd, "logsumexp", "size1", [R(3, 1)], {"dims": 1})

    # ---------------- linear algebra ----------------
    L = "linalg"
    case(L, "matmul", "dot", [R(5), R(5)])
    case(L, "matmul", "mm", [R(3, 4), R(4, 5)])
    case(L, "matmul", "vec_mat", [R(4), R(4, 5)])
    case(L, "matmul", "mat_vec", [R(3, 4), R(4)])
    case(L, "matmul", "bmm", [R(2, 3, 4), R(2, 4, 5)])
    case(L, "matmul", "bcast_batch", [R(2, 1, 3, 4), R(3, 4, 5)])
    case(L, "matmul", "batch_mat", [R(2, 3, 4), R(4, 5)])
    case(L, "matmul", "mat_batch", [R(3, 4), R(2, 4, 5)])
    case(L, "matmul", "batch_vec", [R(2, 3, 4), R(4)])
    case(L, "matmul", "vec_batch", [R(4), R(2, 4, 5)])
    case(L, "matmul", "transposed_a", [I(R(3, 4), layout=T), R(4, 5)])
    case(L, "matmul", "transposed_b", [R(3, 4), I(R(4, 5), layout=T)])
    case(L, "matmul", "transposed_both_batched", [I(R(2, 3, 4), layout=T), I(R(2, 4, 5), layout=T)])
    case(L, "matmul", "strided", [I(R(3, 4), layout=S), R(4, 2)])
    case(L, "matmul", "row", [R(1, 4), R(4, 1)])
    case(L, "matmul", "k0", [R(3, 0), R(0, 2)])
    case(L, "matmul", "b_frozen", [R(3, 4), I(R(4, 5), grad=False)])
    # 96-term products: LOOSE in the test
    case(L, "matmul", "long_k", [R(4, 96), R(96, 3)])
    # crosses the kernel's tile edges in every dim (and is 70 terms long: LOOSE in the test)
    case(L, "matmul", "long_tiles", [R(2, 17, 70), I(R(2, 70, 19), layout=T)])
    case(L, "linear", "bias", [R(4, 3), R(5, 3), R(5)])
    case(L, "linear", "no_bias", [R(4, 3), R(5, 3)])
    case(L, "linear", "3d_input", [R(2, 4, 3), R(5, 3), R(5)])
    case(L, "linear", "1d_input", [R(3), R(5, 3), R(5)])
    case(L, "linear", "transposed_weight", [R(4, 3), I(R(5, 3), layout=T), R(5)])
    case(L, "linear", "frozen_weight", [R(4, 3), I(R(5, 3), grad=False), R(5)])
    case(L, "linear", "transposed_input", [I(R(4, 3), layout=T), R(2, 3)])

    # ---------------- shapes ----------------
    Sh = "shape"
    case(Sh, "reshape", "merge", [R(2, 3, 4)], {"shape": [6, 4]})
    case(Sh, "reshape", "infer", [R(2, 3, 4)], {"shape": [4, -1, 3]})
    case(Sh, "reshape", "flat", [R(2, 3)], {"shape": [-1]})
    case(Sh, "reshape", "transposed_copy", [I(R(3, 4), layout=T)], {"shape": [2, 6]})
    case(Sh, "reshape", "to_0d", [R(1, 1)], {"shape": []})
    case(Sh, "reshape", "empty", [R(2, 0)], {"shape": [0, 5]})
    case(Sh, "view", "split_dim", [R(2, 12)], {"shape": [2, 3, 4]})
    case(Sh, "view", "infer", [R(4, 6)], {"shape": [-1, 3]})
    case(Sh, "flatten", "all", [R(2, 3, 4)], {})
    case(Sh, "flatten", "middle", [R(2, 3, 4, 2)], {"startDim": 1, "endDim": 2})
    case(Sh, "flatten", "transposed", [I(R(2, 3, 4), layout=T)], {"startDim": 1})
    case(Sh, "unflatten", "dim1", [R(2, 6)], {"dim": 1, "sizes": [2, 3]})
    case(Sh, "unflatten", "infer", [R(12, 2)], {"dim": 0, "sizes": [-1, 4]})
    case(Sh, "squeeze", "all", [R(1, 3, 1, 4)], {})
    case(Sh, "squeeze", "dim", [R(3, 1, 4)], {"dim": 1})
    case(Sh, "squeeze", "noop", [R(3, 4)], {"dim": 0})
    case(Sh, "unsqueeze", "front", [R(3, 4)], {"dim": 0})
    case(Sh, "unsqueeze", "back", [R(3, 4)], {"dim": -1})
    case(Sh, "unsqueeze", "middle_transposed", [I(R(3, 4), layout=T)], {"dim": 1})
    case(Sh, "transpose", "outer", [R(2, 3, 4)], {"d0": 0, "d1": 2})
    case(Sh, "transpose", "neg", [R(2, 3, 4)], {"d0": -1, "d1": -2})
    case(Sh, "permute", "3d", [R(2, 3, 4)], {"dims": [2, 0, 1]})
    case(Sh, "permute", "neg", [I(R(2, 3, 4), layout=T)], {"dims": [-1, 0, 1]})
    case(Sh, "t", "2d", [R(3, 4)])
    case(Sh, "t", "1d", [R(4)])
    case(Sh, "expand", "col", [R(3, 1)], {"shape": [3, 4]})
    case(Sh, "expand", "new_dims", [R(4)], {"shape": [2, 3, 4]})
    case(Sh, "expand", "minus_one", [R(3, 1)], {"shape": [2, -1, 5]})
    case(Sh, "narrow", "dim1", [R(3, 5)], {"dim": 1, "start": 1, "length": 3})
    case(Sh, "narrow", "neg_start", [R(4, 2)], {"dim": 0, "start": -2, "length": 2})
    case(Sh, "narrow", "transposed", [I(R(3, 5), layout=T)], {"dim": 0, "start": 2, "length": 1})
    case(Sh, "select", "dim0", [R(3, 4)], {"dim": 0, "index": 1})
    case(Sh, "select", "neg", [I(R(2, 3, 4), layout=T)], {"dim": -1, "index": -1})
    case(Sh, "slice", "step", [R(3, 7)], {"dim": 1, "start": 1, "end": 6, "step": 2})
    case(Sh, "slice", "open_end", [R(5, 2)], {"dim": 0, "start": -3})
    case(Sh, "slice", "empty", [R(4, 3)], {"dim": 0, "start": 3, "end": 1})
    case(Sh, "expand", "from_0d", [R()], {"shape": [2, 3]})
    case(Sh, "flatten", "0d", [R()], {})
    case(Sh, "stack", "0d", [R(), R(), R()], {"dim": 0})
    case(Sh, "cat", "int", [IDX(4, 2, 2), IDX(4, 1, 2)], {"dim": 0})
    case(Sh, "indexSelect", "dim0_repeats", [R(5, 3), const(torch.tensor([4, 0, 4, 2], dtype=torch.int32))], {"dim": 0})
    case(Sh, "indexSelect", "dim1", [R(2, 5, 3), const(IDX(5, 6))], {"dim": 1})
    case(Sh, "indexSelect", "transposed", [I(R(4, 3), layout=T), const(torch.tensor([2, 2], dtype=torch.int32))], {"dim": -1})
    case(Sh, "indexSelect", "empty_index", [R(4, 3), const(torch.zeros(0, dtype=torch.int32))], {"dim": 0})
    case(Sh, "gather", "dim1_repeats", [R(3, 4), const(IDX(4, 3, 6))], {"dim": 1})
    case(Sh, "gather", "dim0", [R(4, 3), const(IDX(4, 2, 3))], {"dim": 0})
    case(Sh, "gather", "3d_transposed", [I(R(2, 4, 3), layout=T), const(IDX(3, 2, 4, 2))], {"dim": 2})
    case(Sh, "cat", "dim0", [R(2, 3), R(1, 3), R(3, 3)], {"dim": 0})
    case(Sh, "cat", "dim1_transposed", [I(R(2, 3), layout=T), R(2, 2)], {"dim": 1})
    case(Sh, "cat", "with_empty", [R(2, 3), R(0, 3), R(1, 3)], {"dim": 0})
    case(Sh, "cat", "neg_dim", [R(2, 2, 1), R(2, 2, 3)], {"dim": -1})
    case(Sh, "cat", "frozen_part", [R(2, 3), I(R(2, 3), grad=False)], {"dim": 0})
    case(Sh, "stack", "dim0", [R(2, 3), R(2, 3), R(2, 3)], {"dim": 0})
    case(Sh, "stack", "last", [R(2, 3), I(R(2, 3), layout=T)], {"dim": -1})
    case(Sh, "stack", "middle", [R(4), R(4)], {"dim": 1})
    case(Sh, "split", "size_uneven", [R(3, 7)], {"size": 3, "dim": 1})
    case(Sh, "split", "sections", [R(4, 2)], {"size": [1, 3], "dim": 0})
    case(Sh, "split", "transposed", [I(R(5, 4), layout=T)], {"size": 2, "dim": 0})
    case(Sh, "chunk", "even", [R(6, 2)], {"chunks": 3, "dim": 0})
    case(Sh, "chunk", "uneven", [R(2, 5)], {"chunks": 2, "dim": 1})
    case(Sh, "chunk", "fewer", [R(2, 6)], {"chunks": 4, "dim": -1})

    # ---------------- activations ----------------
    A = "activation"
    with_zero = torch.tensor([[-2.0, -0.5, 0.0, 0.5], [1.0, 3.0, -0.0, -4.0]])
    for op, args in [("relu", {}), ("leakyRelu", {}), ("leakyRelu", {"negativeSlope": 0.2}), ("elu", {}),
                     ("elu", {"alpha": 1.5}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("sigmoid", {}),
                     ("tanh", {}), ("silu", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 5.0}),
                     ("hardtanh", {}), ("hardtanh", {"minVal": -0.5, "maxVal": 0.5})]:
        tag = "_".join(f"{k}{v}" for k, v in args.items()) or "default"
        case(A, op, f"{tag}", [R(3, 4, scale=2)], args)
        case(A, op, f"{tag}_transposed", [I(R(2, 4, 3, scale=2), layout=T)], args)
        case(A, op, f"{tag}_zeros", [with_zero], args)
    case(A, "softplus", "above_threshold", [torch.tensor([-30.0, -1.0, 0.0, 2.4, 2.6, 10.0, 30.0])], {"beta": 2.0, "threshold": 5.0})
    case(A, "hardtanh", "bounds", [torch.tensor([-1.5, -1.0, -0.5, 0.5, 1.0, 1.5])], {})
    case(A, "tanh", "large", [R(8, scale=30)], {})
    case(A, "sigmoid", "large", [R(8, scale=30)], {})
    for op in ["softmax", "logSoftmax"]:
        case(A, op, "last", [R(3, 5)], {"dim": -1})
        case(A, op, "dim0", [R(4, 3)], {"dim": 0})
        case(A, op, "3d_middle", [R(2, 4, 3)], {"dim": 1})
        case(A, op, "large", [R(3, 6, scale=50, shift=1000)], {"dim": 1})
        case(A, op, "large_neg", [R(3, 6, scale=100, shift=-500)], {"dim": 1})
        case(A, op, "transposed", [I(R(4, 5, scale=20), layout=T)], {"dim": 0})
        case(A, op, "size1", [R(3, 1)], {"dim": 1})

    # ---------------- losses ----------------
    Lo = "loss"
    N, Cc = 6, 4
    tgt = lambda *s: const(IDX(Cc, *s))  # noqa: E731
    for red in ["mean", "sum", "none"]:
        case(Lo, "crossEntropy", f"basic_{red}", [R(N, Cc), tgt(N)], {"reduction": red})
        case(Lo, "crossEntropy", f"weight_{red}", [R(N, Cc), tgt(N), I(POS(Cc), grad=False)], {"reduction": red, "weight": True})
        case(Lo, "crossEntropy", f"smoothing_{red}", [R(N, Cc), tgt(N)], {"reduction": red, "labelSmoothing": 0.1})
        case(Lo, "crossEntropy", f"smoothing_weight_{red}", [R(N, Cc), tgt(N), I(POS(Cc), grad=False)], {"reduction": red, "labelSmoothing": 0.2, "weight": True})
        case(Lo, "nllLoss", f"basic_{red}", [F.log_softmax(R(N, Cc), 1), tgt(N)], {"reduction": red})
        case(Lo, "nllLoss", f"weight_{red}", [R(N, Cc), tgt(N), I(POS(Cc), grad=False)], {"reduction": red, "weight": True})
    ign = torch.tensor([1, -100, 3, 0, -100, 2], dtype=torch.int32)
    ign5 = torch.tensor([1, 5, 3, 0, 5, 2], dtype=torch.int32)
    for red in ["mean", "sum", "none"]:
        case(Lo, "crossEntropy", f"ignore_{red}", [R(N, Cc), const(ign)], {"reduction": red})
        case(Lo, "crossEntropy", f"ignore_weight_smoothing_{red}", [R(N, Cc), const(ign5), I(POS(Cc), grad=False)],
             {"reduction": red, "ignoreIndex": 5, "weight": True, "labelSmoothing": 0.1})
        case(Lo, "nllLoss", f"ignore_weight_{red}", [R(N, Cc), const(ign), I(POS(Cc), grad=False)], {"reduction": red, "weight": True})
    case(Lo, "crossEntropy", "spatial", [R(2, Cc, 3, 2), tgt(2, 3, 2)], {})
    case(Lo, "crossEntropy", "spatial_weight_none", [R(2, Cc, 3), tgt(2, 3), I(POS(Cc), grad=False)], {"reduction": "none", "weight": True})
    case(Lo, "crossEntropy", "spatial_smoothing", [R(2, Cc, 5), tgt(2, 5)], {"labelSmoothing": 0.3})
    case(Lo, "crossEntropy", "transposed_logits", [I(R(Cc, N), layout=T), tgt(Cc)], {})
    case(Lo, "crossEntropy", "large_logits", [R(N, Cc, scale=100), tgt(N)], {})
    case(Lo, "crossEntropy", "unbatched", [R(Cc), const(torch.tensor(2, dtype=torch.int32))], {})
    case(Lo, "nllLoss", "spatial", [R(2, Cc, 3), tgt(2, 3)], {})
    probs = lambda *s: F.softmax(R(*s), 1)  # noqa: E731
    case(Lo, "crossEntropy", "probs_mean", [R(N, Cc), probs(N, Cc)], {})
    case(Lo, "crossEntropy", "probs_weight_smoothing_sum", [R(N, Cc), probs(N, Cc), I(POS(Cc), grad=False)],
         {"reduction": "sum", "weight": True, "labelSmoothing": 0.2})
    case(Lo, "crossEntropy", "probs_spatial_none", [R(2, Cc, 3), I(probs(2, Cc, 3), grad=False)], {"reduction": "none"})
    for red in ["mean", "sum", "none"]:
        for op, args in [("mseLoss", {}), ("l1Loss", {}), ("smoothL1Loss", {}), ("smoothL1Loss", {"beta": 0.5}),
                         ("huberLoss", {}), ("huberLoss", {"delta": 2.0})]:
            tag = "_".join(f"{k}{v}" for k, v in args.items())
            case(Lo, op, f"{red}{'_' + tag if tag else ''}", [R(3, 5, scale=2), R(3, 5, scale=2)], {"reduction": red, **args})
        case(Lo, "binaryCrossEntropy", red, [U(3, 4), I(U(3, 4, lo=0, hi=1), grad=False)], {"reduction": red})
        case(Lo, "binaryCrossEntropy", f"weight_{red}", [U(3, 4), I(U(3, 4, lo=0, hi=1), grad=False), I(POS(3, 4), grad=False)],
             {"reduction": red, "weight": True})
        case(Lo, "binaryCrossEntropyWithLogits", red, [R(3, 4, scale=3), U(3, 4, lo=0, hi=1)], {"reduction": red})
        case(Lo, "binaryCrossEntropyWithLogits", f"weight_posweight_{red}",
             [R(3, 4, scale=3), U(3, 4, lo=0, hi=1), I(POS(4), grad=False), I(POS(4), grad=False)],
             {"reduction": red, "weight": True, "posWeight": True})
    case(Lo, "mseLoss", "transposed", [I(R(4, 3), layout=T), R(4, 3)], {})
    case(Lo, "l1Loss", "ties", [TIES(3, 4), TIES(3, 4)], {})
    case(Lo, "smoothL1Loss", "at_beta", [torch.tensor([0.0, 1.0, 2.0, -1.5]), torch.tensor([1.0, 0.0, 0.5, 0.0])], {"beta": 1.0})
    case(Lo, "binaryCrossEntropy", "hard_targets", [U(8), I(torch.tensor([0.0, 1.0] * 4), grad=False)], {})
    case(Lo, "binaryCrossEntropyWithLogits", "large_logits", [R(8, scale=60), I(torch.tensor([0.0, 1.0] * 4), grad=False)], {})
    case(Lo, "binaryCrossEntropyWithLogits", "posweight_only", [R(2, 3), U(2, 3), I(POS(3), grad=False)], {"posWeight": True})


def main():
    build()
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for family, cases in FILES.items():
        tensors, meta = {}, []
        for c in cases:
            run_case(c, tensors)
            meta.append({"name": c["name"], "op": c["op"], "args": c["args"],
                         "inputs": [{"grad": i["grad"], "layout": i["layout"]} for i in c["inputs"]]})
        path = os.path.join(OUT, f"{family}.safetensors")
        st.save(path, tensors, {"family": family, "cases": json.dumps(meta)})
        total += len(cases)
        print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    print(f"{total} cases")


if __name__ == "__main__":
    main()
