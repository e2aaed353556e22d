"""PyTorch 1.13 references for issue 16's edge fixes (run with /usr/bin/python3).

  edge_fixes.py -> test/fixtures/ops/edge_fixes.safetensors (committed)

Cases in ops.py's format (inputs, outputs, upstream gradients, input gradients; see ops.py), run by
test/autograd/ops.test.ts as one more family. Each is a value PyTorch defines where the composed
ops gave NaN, inf or an error: BCE at probabilities 0 and 1, cross-entropy with every target
ignored, softmax of a 0-d tensor, logsumexp over a zero-size dim, matmul with an empty inner dim,
var of a 0-d tensor, gather with an index smaller than the input.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import ops  # noqa: E402
import st  # noqa: E402
from ops import I, R, case, const  # noqa: E402

FAMILY = "edge_fixes"


def build():
    torch.manual_seed(16)
    E = FAMILY
    ends = torch.tensor([0.0, 1.0, 0.5, 1.0])
    hard = torch.tensor([0.0, 1.0, 1.0, 0.0])
    for red in ["mean", "sum", "none"]:
        case(E, "binaryCrossEntropy", f"ends_{red}", [ends, I(hard, grad=False)], {"reduction": red})
        case(E, "binaryCrossEntropy", f"ends_weight_{red}", [ends, I(hard, grad=False), I(torch.tensor([0.5, 2.0, 1.5, 3.0]), grad=False)],
             {"reduction": red, "weight": True})
    # d/dtarget = -logit(x): ±inf at the ends
    case(E, "binaryCrossEntropy", "ends_target_grad", [torch.tensor([0.0, 1.0, 0.25, 1.0, 0.0]), torch.tensor([0.0, 1.0, 0.5, 0.0, 0.3])], {"reduction": "sum"})

    ign = const(torch.tensor([-100, -100, -100], dtype=torch.int32))
    w = I(torch.tensor([1.0, 2.0, 0.5, 1.5]), grad=False)
    case(E, "crossEntropy", "all_ignored_mean", [R(3, 4), ign], {})
    case(E, "crossEntropy", "all_ignored_weight_mean", [R(3, 4), ign, w], {"weight": True})
    case(E, "crossEntropy", "all_ignored_smoothing_mean", [R(3, 4), ign], {"labelSmoothing": 0.1})
    case(E, "crossEntropy", "all_ignored_weight_smoothing_mean", [R(3, 4), ign, w], {"weight": True, "labelSmoothing": 0.2})
    case(E, "crossEntropy", "all_ignored_weight_sum", [R(3, 4), ign, w], {"weight": True, "reduction": "sum"})
    case(E, "crossEntropy", "all_ignored_spatial_mean", [R(2, 4, 3), const(torch.full((2, 3), 7, dtype=torch.int32))], {"ignoreIndex": 7})
    case(E, "nllLoss", "all_ignored_mean", [R(3, 4), ign], {})
    case(E, "nllLoss", "all_ignored_weight_mean", [R(3, 4), ign, w], {"weight": True})

    for op in ["softmax", "logSoftmax"]:
        case(E, op, "0d", [R()], {"dim": 0})
        case(E, op, "0d_neg", [R()], {"dim": -1})
    case(E, "sum", "0d_dim0", [R()], {"dims": 0})
    case(E, "mean", "0d_dim_neg_keepdim", [R()], {"dims": -1, "keepdim": True})
    case(E, "amax", "0d_dim0", [R()], {"dims": 0})

    case(E, "logsumexp", "empty_dim", [R(3, 0)], {"dims": 1})
    case(E, "logsumexp", "empty_dim_keepdim", [R(3, 0, 2)], {"dims": 1, "keepdim": True})
    case(E, "logsumexp", "empty_all", [R(0, 3)], {"dims": [0, 1]})

    case(E, "matmul", "batched_k0", [R(3, 2, 0), R(0, 4)])
    case(E, "matmul", "k0", [R(2, 0), R(0, 3)])
    case(E, "matmul", "bmm_k0", [R(2, 3, 0), R(2, 0, 4)])
    case(E, "matmul", "vec_k0", [R(0), R(2, 0, 5)])

    for unbiased in [True, False]:
        for op in ["var", "std"]:
            case(E, op, f"0d_unbiased{unbiased}", [R()], {"unbiased": unbiased})
            case(E, op, f"0d_dim0_unbiased{unbiased}", [R()], {"dims": 0, "unbiased": unbiased})
    case(E, "var", "size1_dim0", [R(1)], {"dims": 0})

    case(E, "gather", "smaller_rows", [R(3, 4), const(torch.tensor([[0, 3, 3], [2, 1, 0]], dtype=torch.int32))], {"dim": 1})
    case(E, "gather", "smaller_cols_dim0", [R(4, 5), const(torch.tensor([[3, 0], [1, 1], [0, 2]], dtype=torch.int32))], {"dim": 0})
    case(E, "gather", "smaller_3d", [I(R(3, 4, 5), layout="T"), const(torch.randint(0, 4, (2, 3, 2), dtype=torch.int32))], {"dim": 1})


def main():
    build()
    tensors, meta = {}, []
    for c in ops.FILES[FAMILY]:
        ops.run_case(c, tensors)
        meta.append({"name": c["name"], "op": c["op"], "args": c["args"],
                     "inputs": [{"grad": i["grad"], "layout": i["layout"]} for i in c["inputs"]]})
    path = os.path.join(ops.OUT, f"{FAMILY}.safetensors")
    st.save(path, tensors, {"family": FAMILY, "cases": json.dumps(meta)})
    print(f"{path}: {len(meta)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
