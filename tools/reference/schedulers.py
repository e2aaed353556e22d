"""Reference fixtures for the schedulers and SWA utilities added after optim.py (PyTorch 1.13, /usr/bin/python3).

  schedulers.py -> test/fixtures/optim/{schedulers_extra,swa}.safetensors (committed)

schedulers_extra: like optim.py's schedulers (same two param groups and `record`): lr and momentum (or
  beta1) of each group after construction and after each of 50 steps, the constructor arguments
  (camelCase, as finetorch takes them), and the keys of PyTorch's state_dict() after 20 steps.
  CosineAnnealingWarmRestarts is also stepped with fractional epochs (`epochs`).
swa: AveragedModel over a Linear+BatchNorm1d model whose weights follow a fixed sequence (default
  running mean, an EMA avg_fn, use_buffers), its state_dict keys, and update_bn over fixed batches.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402
from optim import OUT, SCHED_STEPS, two_groups, record  # noqa: E402

S = torch.optim.lr_scheduler
SWA = torch.optim.swa_utils
STATE_AT = 20
# fields of a PyTorch scheduler state_dict that hold functions or mean nothing to finetorch
NOT_STATE = {"verbose", "_get_lr_called_within_step", "anneal_func", "_scale_fn_ref", "_scale_fn_custom"}


def state_keys(make, cls="SGD"):
    o = two_groups(cls)
    s = make(o)
    for _ in range(STATE_AT):
        o.step()
        s.step()
    return sorted(k for k in s.state_dict() if k not in NOT_STATE)


def case(make, args=None, cls="SGD"):
    o = two_groups(cls)
    out = record(o, make(o))
    out["state_keys"] = state_keys(make, cls)
    if args is not None:
        out["args"] = args
    return out


def polynomial(total_iters, power):
    """PolynomialLR is documented from PyTorch 2.0 on: its reference is the 2.x closed form
    base_lr * (1 - min(t, T) / T) ** power, computed here, not by torch. (This machine's 1.13 build
    carries the class; where it does, its recursive form is checked against the closed form.)"""
    o = two_groups()
    base = [g["lr"] for g in o.param_groups]
    lrs = [[b * (1.0 - min(total_iters, t) / total_iters) ** power for b in base] for t in range(SCHED_STEPS + 1)]
    out = {"lr": lrs, "momentum": [[0.9, 0.9]] * (SCHED_STEPS + 1), "args": {"totalIters": total_iters, "power": power}}
    if hasattr(S, "PolynomialLR"):
        got = record(o, S.PolynomialLR(o, total_iters=total_iters, power=power))["lr"]
        for a, b in zip(got, lrs):
            for x, y in zip(a, b):
                assert abs(x - y) <= 1e-12 * max(abs(y), 1e-300), (x, y)
        out["state_keys"] = state_keys(lambda o: S.PolynomialLR(o, total_iters=total_iters, power=power))
    else:
        out["state_keys"] = ["_last_lr", "_step_count", "base_lrs", "last_epoch", "power", "total_iters"]
    return out


def cyclic_adam(kw, args):
    """PyTorch 1.13 refuses cycle_momentum on Adam; 2.x cycles beta1 by the same formula as SGD's
    momentum. The reference is therefore the SGD run's momentum sequence, read as beta1."""
    o = two_groups()
    seq = record(o, S.CyclicLR(o, **kw))
    return {"lr": seq["lr"], "momentum": seq["momentum"], "args": args,
            "state_keys": sorted(state_keys(lambda o: S.CyclicLR(o, **kw)) + ["use_beta1"])}


def schedulers():
    out = {}
    out["ConstantLR"] = case(lambda o: S.ConstantLR(o, factor=0.4, total_iters=7), {"factor": 0.4, "totalIters": 7})
    out["ConstantLR_default"] = case(lambda o: S.ConstantLR(o), {})
    out["PolynomialLR"] = polynomial(30, 2.0)
    out["PolynomialLR_sqrt"] = polynomial(12, 0.5)
    # MultiplicativeLR: the lambdas are written again in the test (`0.95` and `1 - 0.01e`)
    out["MultiplicativeLR"] = case(lambda o: S.MultiplicativeLR(o, lr_lambda=[lambda e: 0.95, lambda e: 1 - 0.01 * e]))
    tri = {"base_lr": [0.01, 0.001], "max_lr": [0.1, 0.02], "step_size_up": 4, "step_size_down": 6}
    tri_args = {"baseLr": [0.01, 0.001], "maxLr": [0.1, 0.02], "stepSizeUp": 4, "stepSizeDown": 6}
    out["CyclicLR_triangular"] = case(lambda o: S.CyclicLR(o, **tri), tri_args)
    out["CyclicLR_triangular2"] = case(lambda o: S.CyclicLR(o, base_lr=0.02, max_lr=0.2, step_size_up=5, mode="triangular2", base_momentum=0.85, max_momentum=0.95),
                                       {"baseLr": 0.02, "maxLr": 0.2, "stepSizeUp": 5, "mode": "triangular2", "baseMomentum": 0.85, "maxMomentum": 0.95})
    out["CyclicLR_exp_range"] = case(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2, mode="exp_range", gamma=0.97),
                                     {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 3, "stepSizeDown": 2, "mode": "exp_range", "gamma": 0.97})
    # custom scale functions, written again in the test: 1/(1+0.5(x-1)) per cycle, 0.99^x per iteration
    out["CyclicLR_scale_cycle"] = case(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 1 / (1 + 0.5 * (x - 1))),
                                       {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 4})
    out["CyclicLR_scale_iterations"] = case(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 0.99 ** x, scale_mode="iterations"),
                                            {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 4, "scaleMode": "iterations"})
    out["CyclicLR_no_momentum"] = case(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.05, step_size_up=6, cycle_momentum=False),
                                       {"baseLr": 0.01, "maxLr": 0.05, "stepSizeUp": 6, "cycleMomentum": False})
    out["CyclicLR_adam"] = cyclic_adam({"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 5, "base_momentum": 0.8, "max_momentum": 0.9},
                                       {"baseLr": 0.001, "maxLr": 0.01, "stepSizeUp": 5, "baseMomentum": 0.8, "maxMomentum": 0.9})
    out["CosineAnnealingWarmRestarts"] = case(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.001), {"t0": 7, "etaMin": 0.001})
    out["CosineAnnealingWarmRestarts_mult"] = case(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.0005), {"t0": 3, "tMult": 2, "etaMin": 0.0005})
    out["SWALR_cos"] = case(lambda o: SWA.SWALR(o, swa_lr=[0.05, 0.002], anneal_epochs=8), {"swaLr": [0.05, 0.002], "annealEpochs": 8})
    out["SWALR_linear"] = case(lambda o: SWA.SWALR(o, swa_lr=0.03, anneal_epochs=5, anneal_strategy="linear"), {"swaLr": 0.03, "annealEpochs": 5, "annealStrategy": "linear"})
    out["SWALR_zero"] = case(lambda o: SWA.SWALR(o, swa_lr=0.04, anneal_epochs=0), {"swaLr": 0.04, "annealEpochs": 0})
    # warm restarts driven by fractional epochs (per batch: epoch + i / iters), both T_mult cases
    frac = {}
    epochs = [e + i / 4 for e in range(12) for i in range(4)] + [3.5, 0.25, 17.75]
    for name, kw in {"mult1": {"T_0": 5}, "mult2": {"T_0": 2, "T_mult": 3, "eta_min": 0.001}}.items():
        o = two_groups()
        s = S.CosineAnnealingWarmRestarts(o, **kw)
        lrs = []
        for e in epochs:
            s.step(e)
            lrs.append([g["lr"] for g in o.param_groups] + [s.last_epoch, s.T_cur, s.T_i])
        frac[name] = {"args": {"t0": kw["T_0"], "tMult": kw.get("T_mult", 1), "etaMin": kw.get("eta_min", 0)}, "lr": lrs}
    st.save(os.path.join(OUT, "schedulers_extra.safetensors"), {},
            {"sequences": json.dumps(out), "fractional": json.dumps({"epochs": epochs, "cases": frac}), "steps": SCHED_STEPS, "state_at": STATE_AT})


# ---- SWA --------------------------------------------------------------------------------------
def swa():
    g = torch.Generator().manual_seed(3)
    # a fresh model per case: buffers that are not averaged keep the model's values at construction
    new_model = lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))  # noqa: E731
    model = new_model()
    n_updates = 5
    weights = [{k: torch.randn(v.shape, generator=g) for k, v in model.state_dict().items() if v.dtype == torch.float32} for _ in range(n_updates)]
    tensors = {}
    for i, w in enumerate(weights):
        for k, v in w.items():
            tensors[f"w.{i}.{k}"] = v
    meta = {}
    for name, kw in {"mean": {}, "ema": {"avg_fn": lambda a, m, n: 0.1 * a + 0.9 * m}, "buffers": {"use_buffers": True}}.items():
        model = new_model()
        avg = SWA.AveragedModel(model, **kw)
        for i, w in enumerate(weights):
            with torch.no_grad():
                model.load_state_dict({**model.state_dict(), **w})
            avg.update_parameters(model)
        for k, v in avg.state_dict().items():
            tensors[f"{name}.{k}"] = v
        meta[name] = list(avg.state_dict().keys())
    # update_bn over fixed batches, on the averaged weights of "mean"
    model = new_model()
    avg = SWA.AveragedModel(model)
    for w in weights:
        with torch.no_grad():
            model.load_state_dict({**model.state_dict(), **w})
        avg.update_parameters(model)
    batches = [torch.randn(6, 3, generator=g) for _ in range(3)]
    for i, b in enumerate(batches):
        tensors[f"bn.batch.{i}"] = b
    avg.module[1].momentum = 0.3
    avg.eval()
    SWA.update_bn([(b, torch.zeros(6)) for b in batches], avg)
    for k, v in avg.state_dict().items():
        tensors[f"bn.{k}"] = v
    assert avg.module[1].momentum == 0.3 and not avg.training
    st.save(os.path.join(OUT, "swa.safetensors"), tensors, {"keys": json.dumps(meta), "updates": n_updates, "batches": len(batches)})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    schedulers()
    swa()
    print("wrote", OUT)
