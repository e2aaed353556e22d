"""A generated edge-case sweep over every op finetorch exposes (run with /usr/bin/python3).

  edge_sweep.py -> test/fixtures/ops/edge_sweep.safetensors (committed; run by test/autograd/edge-sweep.test.ts)

Seeded. Each op gets a handful of random cases: shapes of rank 0-4 with zero-size and size-1 dims,
broadcast operands, and non-contiguous inputs; forward values and the gradient of every float input.
The format is ops.py's (`<case>.in<k>`, `.out<j>`, `.gout<j>`, `.grad<k>`; metadata `cases`: name, op,
args in finetorch's names, inputs: [{grad, layout, shape?}]), with one more layout: 'E' = the stored
value is a smaller tensor and the op sees `value.expand(shape)` (its gradient is the stored value's).
'T' = stored transposed, viewed back (last two dims); 'S' = every other element of a larger buffer.
References are computed in float64 from float32 draws and stored as float32. Ops PyTorch refuses for
a drawn shape (an error) are redrawn, so every case is a value.
"""
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import ops  # noqa: E402
import st  # noqa: E402
from nn_ops import py_args  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "ops", "edge_sweep.safetensors")
PER_OP = 14
rng = random.Random(1613)

# ---- the calls: ops.py's table plus the ops it leaves to nn_ops.py, positional inputs ------------
def _opt(xs, i):
    return xs[i] if len(xs) > i else None


NN = {
    "erf": lambda xs, a: torch.erf(xs[0]),
    "square": lambda xs, a: torch.square(xs[0]),
    "logicalAnd": lambda xs, a: torch.logical_and(xs[0], xs[1]),
    "logicalOr": lambda xs, a: torch.logical_or(xs[0], xs[1]),
    "logicalNot": lambda xs, a: torch.logical_not(xs[0]),
    "conv2d": lambda xs, a: F.conv2d(xs[0], xs[1], _opt(xs, 2), **py_args(a)),
    "conv1d": lambda xs, a: F.conv1d(xs[0], xs[1], _opt(xs, 2), **py_args(a)),
    "maxPool2d": lambda xs, a: F.max_pool2d(xs[0], **py_args(a)),
    "maxPool1d": lambda xs, a: F.max_pool1d(xs[0], **py_args(a)),
    "avgPool2d": lambda xs, a: F.avg_pool2d(xs[0], **py_args(a)),
    "avgPool1d": lambda xs, a: F.avg_pool1d(xs[0], **py_args(a)),
    "adaptiveAvgPool2d": lambda xs, a: F.adaptive_avg_pool2d(xs[0], **py_args(a)),
    "adaptiveAvgPool1d": lambda xs, a: F.adaptive_avg_pool1d(xs[0], **py_args(a)),
    "adaptiveMaxPool2d": lambda xs, a: F.adaptive_max_pool2d(xs[0], **py_args(a)),
    "adaptiveMaxPool1d": lambda xs, a: F.adaptive_max_pool1d(xs[0], **py_args(a)),
    "batchNorm": lambda xs, a: F.batch_norm(xs[0], _opt(xs, 1) if a.get("stats") else None, _opt(xs, 2) if a.get("stats") else None,
                                            xs[-2] if a.get("affine") else None, xs[-1] if a.get("affine") else None,
                                            training=a["training"], eps=a.get("eps", 1e-5)),
    "layerNorm": lambda xs, a: F.layer_norm(xs[0], a["normalizedShape"], _opt(xs, 1), _opt(xs, 2), eps=a.get("eps", 1e-5)),
    "groupNorm": lambda xs, a: F.group_norm(xs[0], a["numGroups"], _opt(xs, 1), _opt(xs, 2), eps=a.get("eps", 1e-5)),
    "embedding": lambda xs, a: F.embedding(xs[0].long(), xs[1], padding_idx=a.get("paddingIdx")),
    "pad": lambda xs, a: F.pad(xs[0], a["pad"], mode=a.get("mode", "constant"), value=a.get("value", 0.0)),
}
CALLS = {**ops.OPS, **NN}

# ---- random shapes and values --------------------------------------------------------------------
def dim(zero=0.1):
    return 0 if rng.random() < zero else rng.choice([1, 1, 2, 3, 4, 5])


def shape(lo=0, hi=4, zero=0.1):
    return [dim(zero) for _ in range(rng.randint(lo, hi))]


def bshape(s):
    """a shape broadcastable with s: leading dims dropped, some dims set to 1"""
    t = s[rng.randint(0, len(s)):] if s and rng.random() < 0.4 else list(s)
    return [1 if rng.random() < 0.3 else d for d in t]


def values(s, kind="R"):
    if kind == "POS":
        return torch.rand(s) * 2 + 0.2
    if kind == "NZ":
        x = torch.randn(s)
        return torch.where(x >= 0, x + 0.3, x - 0.3)
    if kind == "U":
        return torch.rand(s) * 0.9 + 0.05
    if kind == "TIES":
        return torch.randint(-2, 3, s).float()
    return torch.randn(s) * 1.5


def inp(s, kind="R", grad=True, layouts=True):
    """a float input of shape s, maybe as a non-contiguous view"""
    choices = [None, None]
    if layouts and len(s) >= 2:
        choices.append("T")
    if layouts and len(s) >= 1:
        choices.append("S")
    if layouts and any(d > 1 for d in s):
        choices.append("E")
    lay = rng.choice(choices)
    if lay == "E":
        d = rng.choice([i for i, v in enumerate(s) if v > 1])
        base = values([1 if i == d else v for i, v in enumerate(s)], kind)
        return {"value": base, "grad": grad, "layout": "E", "shape": list(s)}
    return {"value": values(s, kind), "grad": grad, "layout": lay}


def idx(hi, s):
    return {"value": torch.randint(0, max(hi, 1), s, dtype=torch.int32) if hi > 0 else torch.zeros(s, dtype=torch.int32), "grad": False, "layout": None}


def const(v):
    return {"value": v, "grad": False, "layout": None}


# ---- generators: op -> (inputs, args), drawn PER_OP times ------------------------------------------
UNARY = {"neg": "R", "exp": "R", "log": "POS", "sqrt": "POS", "rsqrt": "POS", "abs": "R", "sign": "R", "reciprocal": "NZ",
         "sin": "R", "cos": "R", "erf": "R", "square": "R", "relu": "R", "sigmoid": "R", "tanh": "R", "silu": "R"}
GEN = {}
for _op, _kind in UNARY.items():
    GEN[_op] = (lambda k: lambda: ([inp(shape(), k)], {}))(_kind)
GEN["leakyRelu"] = lambda: ([inp(shape())], {"negativeSlope": rng.choice([0.01, 0.2])})
GEN["elu"] = lambda: ([inp(shape())], {"alpha": rng.choice([1.0, 0.5])})
GEN["gelu"] = lambda: ([inp(shape())], {"approximate": rng.choice(["none", "tanh"])})
GEN["softplus"] = lambda: ([inp(shape())], {"beta": rng.choice([1.0, 2.0]), "threshold": rng.choice([20.0, 1.0])})
GEN["hardtanh"] = lambda: ([inp(shape())], {"minVal": -0.5, "maxVal": rng.choice([0.5, 1.0])})
GEN["clamp"] = lambda: ([inp(shape())], rng.choice([{"min": -0.3}, {"max": 0.4}, {"min": -0.5, "max": 0.5}]))


def binary(kind_a="R", kind_b="R", grad=True):
    def g():
        s = shape()
        if rng.random() < 0.2:
            return [inp(s, kind_a, grad)], {"scalar": rng.choice([-1.5, 0.5, 2.0]) if kind_b != "NZ" else 2.0}
        a, b = (s, bshape(s)) if rng.random() < 0.5 else (bshape(s), s)
        return [inp(a, kind_a, grad), inp(b, kind_b, grad)], {}
    return g


for _op in ["add", "sub", "mul"]:
    GEN[_op] = binary()
for _op in ["maximum", "minimum"]:
    GEN[_op] = lambda: (lambda k: (lambda r: r if len(r[0]) == 2 else binary(k, k)())(binary(k, k)()))(rng.choice(["R", "TIES"]))
GEN["div"] = binary("R", "NZ")
GEN["pow"] = binary("POS", "R")
for _op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    GEN[_op] = binary("TIES", "TIES", grad=False)
GEN["where"] = lambda: (lambda s: ([const(torch.rand(bshape(s)) > 0.5), inp(s), inp(bshape(s))], {}))(shape())
for _op in ["logicalAnd", "logicalOr"]:
    GEN[_op] = lambda: (lambda s: ([const(torch.rand(s) > 0.5), const(torch.rand(bshape(s)) > 0.5)], {}))(shape())
GEN["logicalNot"] = lambda: ([const(torch.rand(shape()) > 0.5)], {})


def dims_of(s, allow_empty_dim=True):
    """None, one dim or a list, over dims of s (non-empty ones only when not allow_empty_dim)"""
    ok = [i for i, v in enumerate(s) if allow_empty_dim or v > 0]
    if not ok or rng.random() < 0.25:
        return None
    k = rng.randint(1, len(ok))
    ds = sorted(rng.sample(ok, k))
    ds = [d - len(s) if rng.random() < 0.3 else d for d in ds]
    return ds[0] if k == 1 and rng.random() < 0.5 else ds


def reduction(op, kind="R", empty_ok=True):
    def g():
        s = shape()
        ds = dims_of(s, empty_ok)
        if not empty_ok and ds is None and 0 in s:
            s = [max(v, 1) for v in s]
        # keepdim only with dims: PyTorch's all-dims call takes no keepdim
        return [inp(s, kind)], {"dims": ds, "keepdim": ds is not None and rng.random() < 0.4}
    return g


GEN["sum"] = reduction("sum")
GEN["mean"] = reduction("mean")
GEN["amax"] = reduction("amax", "TIES", False)
GEN["amin"] = reduction("amin", "TIES", False)
GEN["logsumexp"] = lambda: (lambda s: ([inp(s)], {"dims": dims_of(s) if s else 0, "keepdim": rng.random() < 0.4}))(shape())
for _op in ["var", "std"]:
    GEN[_op] = (lambda g: lambda: (lambda r: (r[0], {**r[1], "unbiased": rng.random() < 0.7}))(g()))(reduction(_op))


def maxmin(with_values=True):
    def g():
        s = [max(v, 1) for v in shape()]
        d = rng.randrange(-len(s), len(s)) if s and rng.random() < 0.8 else None
        return [inp(s, "TIES" if rng.random() < 0.5 else "R", with_values)], ({"dim": d, "keepdim": rng.random() < 0.4} if d is not None else {})
    return g


GEN["max"] = maxmin()
GEN["min"] = maxmin()
GEN["argmax"] = maxmin(False)
GEN["argmin"] = maxmin(False)
for _op in ["softmax", "logSoftmax"]:
    GEN[_op] = lambda: (lambda s: ([inp(s, "R")], {"dim": rng.randrange(-max(len(s), 1), max(len(s), 1))}))(shape())


# shapes
def factor_shape(n, rank):
    """a random shape of `rank` dims with n elements"""
    out = [1] * rank
    if rank == 0:
        return out
    rest = n
    for i in range(rank - 1):
        divs = [d for d in range(1, rest + 1) if rest % d == 0] if rest else [0, 1, 2]
        out[i] = rng.choice(divs)
        rest = rest // out[i] if out[i] else rest
    out[-1] = rest if all(out[:-1]) else rng.choice([0, 1, 2, 3])
    return out


def g_reshape(view=False):
    def g():
        s = shape(0, 4, 0.05)
        n = 1
        for v in s:
            n *= v
        t = factor_shape(n, rng.randint(0 if n == 1 else 1, 4))
        if n and rng.random() < 0.4 and t:
            t[rng.randrange(len(t))] = -1
        x = inp(s) if not view else {"value": values(s), "grad": True, "layout": None}
        if [v for v in t if v != -1] and 0 in s and -1 in t:
            t = [v if v != -1 else 1 for v in t]
        return [x], {"shape": t}
    return g


GEN["reshape"] = g_reshape()
GEN["view"] = g_reshape(True)


def nd(lo=1):
    s = shape(lo, 4)
    return s, len(s)


def g_flatten():
    s, r = nd(0)
    if r == 0:
        return [inp(s)], {}
    a = rng.randrange(r)
    return [inp(s)], {"startDim": a, "endDim": rng.randrange(a, r)}


GEN["flatten"] = g_flatten
GEN["unflatten"] = lambda: (lambda s: (lambda d: ([inp(s)], {"dim": d, "sizes": factor_shape(s[d], rng.randint(1, 3))}))(rng.randrange(len(s))))(shape(1, 3, 0.05))
GEN["squeeze"] = lambda: (lambda s: ([inp(s)], {"dim": rng.randrange(-len(s), len(s))} if s and rng.random() < 0.6 else {}))([rng.choice([1, 1, 2, 0]) for _ in range(rng.randint(0, 4))])
GEN["unsqueeze"] = lambda: (lambda s: ([inp(s)], {"dim": rng.randint(-len(s) - 1, len(s))}))(shape())
GEN["transpose"] = lambda: (lambda s: ([inp(s)], {"d0": rng.randrange(-len(s), len(s)), "d1": rng.randrange(-len(s), len(s))}))(shape(1))
GEN["permute"] = lambda: (lambda s: ([inp(s)], {"dims": rng.sample(range(len(s)), len(s))}))(shape(1))
GEN["t"] = lambda: ([inp(shape(0, 2))], {})


def g_expand():
    s = [rng.choice([1, 1, 2, 3, 0]) for _ in range(rng.randint(0, 3))]
    lead = shape(0, 2, 0)
    t = lead + [rng.choice([2, 3]) if v == 1 and rng.random() < 0.7 else (v if rng.random() < 0.8 else -1) for v in s]
    return [inp(s)], {"shape": t}


GEN["expand"] = g_expand


def g_narrow():
    s = shape(1)
    d = rng.randrange(len(s))
    start = rng.randint(0, s[d])
    return [inp(s)], {"dim": d - len(s) if rng.random() < 0.3 else d, "start": start, "length": rng.randint(0, s[d] - start)}


def g_select():
    s = [max(v, 1) for v in shape(1)]
    d = rng.randrange(len(s))
    return [inp(s)], {"dim": d, "index": rng.randrange(-s[d], s[d])}


def g_slice():
    s = shape(1)
    d = rng.randrange(len(s))
    a = {"dim": d, "start": rng.randint(-s[d] - 1, s[d] + 1), "step": rng.choice([1, 1, 2, 3])}
    if rng.random() < 0.6:
        a["end"] = rng.randint(-s[d] - 1, s[d] + 1)
    return [inp(s)], a


GEN["narrow"] = g_narrow
GEN["select"] = g_select
GEN["slice"] = g_slice


def g_index_select():
    s = [max(v, 1) for v in shape(0, 3)]
    d = rng.randrange(len(s)) if s else 0
    size = s[d] if s else 1
    # a 0-d input takes a 0-d or one-element index (PyTorch 1.13 corrupts its heap on a longer one)
    return [inp(s), idx(size, [rng.randint(0, 4)] if s else rng.choice([[], [1]]))], {"dim": d}


def g_gather():
    s = [max(v, 1) for v in shape(1, 3)]
    d = rng.randrange(len(s))
    i = [rng.randint(0, 4) if k == d else rng.randint(0, v) for k, v in enumerate(s)]
    return [inp(s), idx(s[d], i)], {"dim": d}


def g_cat(stack=False):
    def g():
        s = shape(1 if not stack else 0, 3)
        d = rng.randrange(len(s) + (1 if stack else 0)) if s or stack else 0
        parts = []
        for _ in range(rng.randint(1, 3)):
            p = list(s)
            if not stack:
                p[d] = rng.choice([0, 1, 2, 3])
            parts.append(inp(p, grad=rng.random() < 0.8))
        return parts, {"dim": d}
    return g


GEN["indexSelect"] = g_index_select
GEN["gather"] = g_gather
GEN["cat"] = g_cat()
GEN["stack"] = g_cat(True)
GEN["split"] = lambda: (lambda s: (lambda d: ([inp(s)], {"size": rng.randint(1, 3) if rng.random() < 0.6 else factor_split(s[d]), "dim": d}))(rng.randrange(len(s))))(shape(1, 3))
GEN["chunk"] = lambda: (lambda s: ([inp(s)], {"chunks": rng.randint(1, 4), "dim": rng.randrange(len(s))}))([max(v, 1) for v in shape(1, 3)])


def factor_split(n):
    out = []
    while n > 0:
        k = rng.randint(1, n)
        out.append(k)
        n -= k
    return out or [0]


# linear algebra
def g_matmul():
    m, k, n = dim(0.15), dim(0.2), dim(0.15)
    kind = rng.choice(["dot", "mv", "vm", "mm", "bmm", "bcast", "batch_mat", "mat_batch"])
    b1 = [dim(0.1)]
    a, b = {"dot": ([k], [k]), "mv": ([m, k], [k]), "vm": ([k], [k, n]), "mm": ([m, k], [k, n]), "bmm": (b1 + [m, k], b1 + [k, n]),
            "bcast": ([2, 1, m, k], [3, k, n]), "batch_mat": (b1 + [m, k], [k, n]), "mat_batch": ([m, k], b1 + [k, n])}[kind]
    return [inp(a), inp(b)], {}


def g_linear():
    i, o = dim(0.1), dim(0.1)
    xs = [inp(shape(0, 2, 0.1) + [i]), inp([o, i])]
    if rng.random() < 0.6:
        xs.append(inp([o]))
    return xs, {}


GEN["matmul"] = g_matmul
GEN["linear"] = g_linear


# losses
def g_class(op):
    def g():
        n, c = dim(0.1), rng.randint(1, 5)
        spatial = shape(0, 2, 0.1) if rng.random() < 0.3 else []
        unbatched = not spatial and rng.random() < 0.15
        x_shape = [c] if unbatched else [n, c] + spatial
        t_shape = [] if unbatched else [n] + spatial
        ign = rng.choice([-100, -100, 1])
        t = torch.randint(0, c, t_shape, dtype=torch.int32)
        t = torch.where(torch.rand(t_shape) < 0.3, torch.tensor(ign, dtype=torch.int32), t)
        a = {"reduction": rng.choice(["mean", "sum", "none"]), "ignoreIndex": ign}
        xs = [inp(x_shape), const(t)]
        if rng.random() < 0.4:
            xs.append(inp([c], "POS", grad=False, layouts=False))
            a["weight"] = True
        if op == "crossEntropy" and rng.random() < 0.4:
            a["labelSmoothing"] = rng.choice([0.1, 0.3])
        if op == "crossEntropy" and rng.random() < 0.2:
            xs[1] = inp(x_shape, "U", grad=False, layouts=False)
            a.pop("ignoreIndex")
        return xs, a
    return g


GEN["crossEntropy"] = g_class("crossEntropy")
GEN["nllLoss"] = g_class("nllLoss")


def g_regression(extra=None):
    def g():
        s = shape(0, 3)
        a = {"reduction": rng.choice(["mean", "sum", "none"])}
        if extra:
            a.update(extra())
        return [inp(s), inp(s, grad=rng.random() < 0.5)], a
    return g


GEN["mseLoss"] = g_regression()
GEN["l1Loss"] = g_regression()
GEN["smoothL1Loss"] = g_regression(lambda: {"beta": rng.choice([1.0, 0.5])})
GEN["huberLoss"] = g_regression(lambda: {"delta": rng.choice([1.0, 2.0])})


def g_bce():
    s = shape(0, 3)
    x = inp(s, "U")
    if rng.random() < 0.3 and 0 not in s:  # probabilities exactly 0 and 1
        v = x["value"].flatten()
        v[torch.rand(v.shape) < 0.4] = 0.0
        v[torch.rand(v.shape) < 0.4] = 1.0
    a = {"reduction": rng.choice(["mean", "sum", "none"])}
    xs = [x, inp(s, "U", grad=False)]
    if rng.random() < 0.4:
        xs.append(inp(bshape(s), "POS", grad=False))
        a["weight"] = True
    return xs, a


def g_bce_logits():
    s = shape(0, 3)
    a = {"reduction": rng.choice(["mean", "sum", "none"])}
    xs = [inp(s), inp(s, "U", grad=rng.random() < 0.3)]
    if rng.random() < 0.4:
        xs.append(inp(bshape(s), "POS", grad=False))
        a["weight"] = True
    if rng.random() < 0.4 and s:
        xs.append(inp(s[-1:], "POS", grad=False))
        a["posWeight"] = True
    return xs, a


GEN["binaryCrossEntropy"] = g_bce
GEN["binaryCrossEntropyWithLogits"] = g_bce_logits


# network ops, small sizes
def g_conv(n_sp):
    def g():
        groups = rng.choice([1, 1, 2])
        cin, cout = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
        k = [rng.randint(1, 3) for _ in range(n_sp)]
        dil = rng.choice([1, 1, 2])
        sp = [rng.randint(dil * (kk - 1) + 1, 6) for kk in k]
        a = {"stride": rng.choice([1, 2]), "padding": rng.choice([0, 1]), "dilation": dil, "groups": groups}
        xs = [inp([rng.randint(1, 2), cin] + sp), inp([cout, cin // groups] + k)]
        if rng.random() < 0.6:
            xs.append(inp([cout]))
        return xs, a
    return g


def g_pool(op, n_sp):
    def g():
        k = rng.randint(1, 3)
        sp = [rng.randint(k, 6) for _ in range(n_sp)]
        a = {"kernelSize": k, "stride": rng.choice([1, 2, k]), "padding": rng.randint(0, k // 2), "ceilMode": rng.random() < 0.3}
        if op.startswith("avg"):
            a["countIncludePad"] = rng.random() < 0.5
        elif rng.random() < 0.3:
            a["dilation"] = 2
            sp = [max(v, 2 * (k - 1) + 1) for v in sp]
        lead = [rng.randint(1, 2), rng.randint(1, 3)][: rng.choice([1, 2, 2])]
        return [inp(lead + sp, "TIES" if op.startswith("max") and rng.random() < 0.4 else "R")], a
    return g


def g_adaptive(n_sp, kind):
    def g():
        sp = [rng.randint(1, 7) for _ in range(n_sp)]
        out = [rng.randint(1, 4) for _ in range(n_sp)]
        return [inp([rng.randint(1, 2), rng.randint(1, 3)] + sp, kind)], {"outputSize": out if n_sp == 2 else out[0]}
    return g


GEN["conv2d"] = g_conv(2)
GEN["conv1d"] = g_conv(1)
GEN["maxPool2d"] = g_pool("max", 2)
GEN["maxPool1d"] = g_pool("max", 1)
GEN["avgPool2d"] = g_pool("avg", 2)
GEN["avgPool1d"] = g_pool("avg", 1)
GEN["adaptiveAvgPool2d"] = g_adaptive(2, "R")
GEN["adaptiveAvgPool1d"] = g_adaptive(1, "R")
GEN["adaptiveMaxPool2d"] = g_adaptive(2, "R")
GEN["adaptiveMaxPool1d"] = g_adaptive(1, "R")


def g_batch_norm():
    c = rng.randint(1, 3)
    s = [rng.randint(2, 3), c] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))]
    training = rng.random() < 0.6
    a = {"training": training, "stats": not training, "affine": rng.random() < 0.6}
    xs = [inp(s)]
    if a["stats"]:
        xs += [inp([c], grad=False, layouts=False), inp([c], "POS", grad=False, layouts=False)]
    if a["affine"]:
        xs += [inp([c]), inp([c])]
    return xs, a


def g_layer_norm():
    s = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
    k = rng.randint(1, len(s))
    xs = [inp(s)]
    if rng.random() < 0.6:
        xs += [inp(s[-k:]), inp(s[-k:])]
    return xs, {"normalizedShape": s[-k:]}


def g_group_norm():
    g = rng.randint(1, 2)
    c = g * rng.randint(1, 2)
    xs = [inp([rng.randint(1, 2), c] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))])]
    if rng.random() < 0.6:
        xs += [inp([c]), inp([c])]
    return xs, {"numGroups": g}


def g_embedding():
    v = rng.randint(1, 5)
    a = {}
    if rng.random() < 0.4:
        a["paddingIdx"] = rng.randrange(-v, v)
    return [idx(v, shape(0, 2, 0.1)), inp([v, rng.randint(1, 3)])], a


def g_pad():
    mode = rng.choice(["constant", "reflect", "replicate", "circular"])
    n_sp = rng.choice([1, 2])
    sp = [rng.randint(2, 4) for _ in range(n_sp)]
    lim = {"constant": 2, "reflect": 1, "replicate": 2, "circular": 2}[mode]
    pads = [rng.randint(-1 if mode == "constant" else 0, lim) for _ in range(2 * n_sp)]
    a = {"pad": pads, "mode": mode}
    if mode == "constant" and rng.random() < 0.5:
        a["value"] = 0.5
    return [inp([rng.randint(1, 2), rng.randint(1, 2)] + sp)], a


GEN["batchNorm"] = g_batch_norm
GEN["layerNorm"] = g_layer_norm
GEN["groupNorm"] = g_group_norm
GEN["embedding"] = g_embedding
GEN["pad"] = g_pad


# ---- running a case ------------------------------------------------------------------------------
NOT_DIFFERENTIABLE = ops.NOT_DIFFERENTIABLE | {"logicalAnd", "logicalOr", "logicalNot"}


def run(name, op, inputs, args, tensors):
    """PyTorch's outputs and gradients for one case into `tensors`; raises if PyTorch refuses it"""
    xs, leaves = [], []
    for k, spec in enumerate(inputs):
        v = spec["value"]
        x = v.double() if v.is_floating_point() else v
        if spec["layout"] == "T":
            x = x.transpose(-1, -2).contiguous().transpose(-1, -2)
        x = x.detach().requires_grad_(spec["grad"])
        leaves.append(x)
        xs.append(x.expand(spec["shape"]) if spec["layout"] == "E" else x)
    outs = CALLS[op](xs, args)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    res = {}
    for k, spec in enumerate(inputs):
        res[f"{name}.in{k}"] = spec["value"]
    roots, grads = [], []
    for j, o in enumerate(outs):
        res[f"{name}.out{j}"] = o
        if o.requires_grad:
            g = torch.randn(o.shape)
            res[f"{name}.gout{j}"] = g
            roots.append(o)
            grads.append(g.double())
    if roots:
        torch.autograd.backward(roots, grads)
    for k, x in enumerate(leaves):
        if inputs[k]["grad"]:
            res[f"{name}.grad{k}"] = x.grad if x.grad is not None else torch.zeros_like(x)
    tensors.update(res)


def main():
    torch.manual_seed(1613)
    tensors, meta, refused = {}, [], 0
    for op in sorted(GEN):
        made = 0
        while made < PER_OP:
            inputs, args = GEN[op]()
            if op in NOT_DIFFERENTIABLE:
                inputs = [{**x, "grad": False} for x in inputs]
            name = f"{op}.{made}"
            try:
                run(name, op, inputs, args, tensors)
            except (RuntimeError, IndexError, ValueError) as e:
                refused += 1
                if refused > 5000:
                    raise SystemExit(f"too many refused draws (last: {op} {args}: {e})")
                continue
            meta.append({"name": name, "op": op, "args": args,
                         "inputs": [{"grad": x["grad"], "layout": x["layout"], **({"shape": x["shape"]} if "shape" in x else {})} for x in inputs]})
            made += 1
    missing = set(CALLS) - set(GEN)
    assert not missing, f"ops without a generator: {sorted(missing)}"
    st.save(OUT, tensors, {"cases": json.dumps(meta, separators=(",", ":")), "seed": "1613"})
    print(f"{OUT}: {len(meta)} cases ({refused} draws PyTorch refused and were redrawn), {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
