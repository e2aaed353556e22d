"""Reference fixtures for src/optim and nn.utils clipping (run with /usr/bin/python3, PyTorch 1.13).

  optim.py -> test/fixtures/optim/{optimizers,schedulers,clip}.safetensors (committed)

optimizers: three parameters from fixed initial weights, 20 steps with gradients stored per step
  (`grad.<step>.<name>`, set as `.grad` directly), one final state per configuration
  (`final.<config>.<name>`). Configurations and their options (camelCase, as finetorch takes them)
  are in __metadata__["configs"]; `skip` lists the steps on which a parameter has no gradient.
schedulers: learning-rate sequences (float64, JSON in __metadata__) for 50 scheduler steps.
clip: gradients, and per configuration the total norm and the clipped gradients.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "optim")
STEPS = 20
NAMES = ["w", "b", "c"]
SHAPES = {"w": (4, 3), "b": (3,), "c": (2, 2)}


def snake(k):
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in k)


def py_kwargs(opts):
    out = {}
    for k, v in opts.items():
        out[snake(k)] = tuple(v) if k == "betas" else v
    return out


CLASSES = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW, "RMSprop": torch.optim.RMSprop}

# (name, class, constructor options, param groups or None, steps where a parameter has no grad)
ODD = list(range(1, STEPS, 2))
CONFIGS = [
    ("sgd_plain", "SGD", {"lr": 0.1}, None, {}),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, None, {}),
    ("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, None, {}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None, {}),
    ("sgd_wd", "SGD", {"lr": 0.1, "weightDecay": 0.1}, None, {}),
    ("sgd_maximize", "SGD", {"lr": 0.1, "maximize": True}, None, {}),
    ("sgd_all", "SGD", {"lr": 0.03, "momentum": 0.8, "nesterov": True, "weightDecay": 0.05, "maximize": True}, None, {}),
    ("sgd_momentum_wd_max", "SGD", {"lr": 0.03, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.02, "maximize": True}, None, {}),
    ("sgd_groups", "SGD", {"lr": 0.1, "momentum": 0.9},
     [{"params": ["w"]}, {"params": ["b", "c"], "lr": 0.01, "momentum": 0.5, "weightDecay": 0.1}], {}),
    ("sgd_skip", "SGD", {"lr": 0.05, "momentum": 0.9}, None, {"c": ODD}),
    ("adam_default", "Adam", {"lr": 0.01}, None, {}),
    ("adam_betas", "Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6}, None, {}),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}, None, {}),
    ("adam_wd", "Adam", {"lr": 0.01, "weightDecay": 0.1}, None, {}),
    ("adam_maximize", "Adam", {"lr": 0.01, "maximize": True}, None, {}),
    ("adam_all", "Adam", {"lr": 0.01, "amsgrad": True, "weightDecay": 0.05, "maximize": True}, None, {}),
    ("adam_groups", "Adam", {"lr": 0.01},
     [{"params": ["w", "c"], "lr": 0.03, "amsgrad": True}, {"params": ["b"], "betas": [0.5, 0.9]}], {}),
    ("adam_skip", "Adam", {"lr": 0.01}, None, {"c": ODD, "b": [0, 1, 2]}),
    ("adamw_default", "AdamW", {"lr": 0.01}, None, {}),
    ("adamw_wd_amsgrad", "AdamW", {"lr": 0.01, "weightDecay": 0.1, "amsgrad": True}, None, {}),
    ("adamw_maximize", "AdamW", {"lr": 0.01, "maximize": True}, None, {}),
    ("rmsprop_default", "RMSprop", {"lr": 0.01}, None, {}),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}, None, {}),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}, None, {}),
    ("rmsprop_all", "RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "centered": True, "momentum": 0.5, "weightDecay": 0.1}, None, {}),
    ("rmsprop_maximize", "RMSprop", {"lr": 0.01, "maximize": True, "weightDecay": 0.01}, None, {}),
]


def optimizers():
    g = torch.Generator().manual_seed(0)
    init = {n: torch.randn(SHAPES[n], generator=g) for n in NAMES}
    grads = [{n: torch.randn(SHAPES[n], generator=g) for n in NAMES} for _ in range(STEPS)]
    tensors = {f"init.{n}": init[n] for n in NAMES}
    for s in range(STEPS):
        for n in NAMES:
            tensors[f"grad.{s}.{n}"] = grads[s][n]
    meta = {}
    for name, cls, opts, groups, skip in CONFIGS:
        params = {n: init[n].clone().requires_grad_(True) for n in NAMES}
        if groups is None:
            arg = [params[n] for n in NAMES]
        else:
            arg = [dict(py_kwargs({k: v for k, v in gr.items() if k != "params"}), params=[params[n] for n in gr["params"]]) for gr in groups]
        opt = CLASSES[cls](arg, **py_kwargs(opts))
        for s in range(STEPS):
            for n in NAMES:
                params[n].grad = None if s in skip.get(n, []) else grads[s][n].clone()
            opt.step()
        for n in NAMES:
            tensors[f"final.{name}.{n}"] = params[n].detach()
        meta[name] = {"optimizer": cls, "options": opts, "groups": groups, "skip": skip}
    st.save(os.path.join(OUT, "optimizers.safetensors"), tensors, {"configs": json.dumps(meta), "steps": STEPS, "names": json.dumps(NAMES)})


# ---- schedulers -------------------------------------------------------------------------------
SCHED_STEPS = 50
S = torch.optim.lr_scheduler
LOSSES = [1.0, 0.9, 0.85, 0.86, 0.84, 0.849, 0.85, 0.851, 0.86, 0.7, 0.71, 0.72, 0.73, 0.74, 0.69, 0.6899, 0.69,
          0.7, 0.7, 0.7, 0.7, 0.65, 0.66, 0.67, 0.68, 0.69, 0.7, 0.71, 0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56,
          0.57, 0.58, 0.59, 0.6, 0.61, 0.62, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48]
ACCS = [0.1, 0.2, 0.25, 0.25, 0.26, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.31, 0.305, 0.3, 0.3, 0.3, 0.3, 0.4, 0.4, 0.4,
        0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45,
        0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45]


def two_groups(cls="SGD", **kw):
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    if cls == "Adam":
        return torch.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, **kw)
    return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=0.9, **kw)


def record(opt, sched, extra=None, metrics=None):
    """lr (and momentum/beta1) of each group after construction and after each of SCHED_STEPS steps."""
    lrs, moms = [], []

    def snap():
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])

    snap()
    for i in range(SCHED_STEPS):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        snap()
    out = {"lr": lrs, "momentum": moms}
    if extra:
        out.update(extra)
    return out


def schedulers():
    out = {}
    o = two_groups(); out["StepLR"] = dict(record(o, S.StepLR(o, step_size=7, gamma=0.5)), args={"stepSize": 7, "gamma": 0.5})
    o = two_groups(); out["MultiStepLR"] = dict(record(o, S.MultiStepLR(o, milestones=[5, 15, 15, 30], gamma=0.3)), args={"milestones": [5, 15, 15, 30], "gamma": 0.3})
    o = two_groups(); out["ExponentialLR"] = dict(record(o, S.ExponentialLR(o, gamma=0.93)), args={"gamma": 0.93})
    o = two_groups(); out["CosineAnnealingLR"] = dict(record(o, S.CosineAnnealingLR(o, T_max=20, eta_min=0.001)), args={"tMax": 20, "etaMin": 0.001})
    o = two_groups(); out["LinearLR"] = dict(record(o, S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=10)), args={"startFactor": 0.25, "endFactor": 1.0, "totalIters": 10})
    o = two_groups(); out["LinearLRDecay"] = dict(record(o, S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30)), args={"startFactor": 1.0, "endFactor": 0.1, "totalIters": 30})
    # LambdaLR: the lambdas are written again in the test (`1/(1+0.1e)` and `0.95^e`)
    o = two_groups(); out["LambdaLR"] = record(o, S.LambdaLR(o, lr_lambda=[lambda e: 1 / (1 + 0.1 * e), lambda e: 0.95 ** e]))
    o = two_groups(); out["OneCycleLR_cos"] = dict(record(o, S.OneCycleLR(o, max_lr=[0.5, 0.05], total_steps=50)), args={"maxLr": [0.5, 0.05], "totalSteps": 50})
    o = two_groups(); out["OneCycleLR_linear_3p"] = dict(record(o, S.OneCycleLR(o, max_lr=0.3, epochs=5, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear", three_phase=True, div_factor=10.0, final_div_factor=100.0)),
                                                         args={"maxLr": 0.3, "epochs": 5, "stepsPerEpoch": 10, "pctStart": 0.25, "annealStrategy": "linear", "threePhase": True, "divFactor": 10.0, "finalDivFactor": 100.0})
    o = two_groups("Adam"); out["OneCycleLR_adam"] = dict(record(o, S.OneCycleLR(o, max_lr=0.2, total_steps=60, base_momentum=0.8, max_momentum=0.9)), args={"maxLr": 0.2, "totalSteps": 60, "baseMomentum": 0.8, "maxMomentum": 0.9})
    o = two_groups()
    warm = S.LinearLR(o, start_factor=0.1, total_iters=5)
    cos = S.CosineAnnealingLR(o, T_max=45)
    out["SequentialLR"] = record(o, S.SequentialLR(o, [warm, cos], milestones=[5]))
    o = two_groups()
    s1 = S.ExponentialLR(o, gamma=0.9)
    s2 = S.StepLR(o, step_size=4, gamma=0.5)
    s3 = S.CosineAnnealingLR(o, T_max=10, eta_min=0.0005)
    out["SequentialLR3"] = record(o, S.SequentialLR(o, [s1, s2, s3], milestones=[10, 25]))
    # chained: the cosine recursion multiplies whatever lr the warm-up left, so it departs from
    # the closed form (which only knows base_lr) — the case where following PyTorch step by step matters
    o = two_groups()
    out["ChainedScheduler"] = record(o, S.ChainedScheduler([S.LinearLR(o, start_factor=0.5, total_iters=8), S.CosineAnnealingLR(o, T_max=15, eta_min=0.002)]))
    o = two_groups(); out["ReduceLROnPlateau_min"] = dict(record(o, S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, min_lr=[0.002, 0.0], threshold=0.01), metrics=LOSSES),
                                                          args={"factor": 0.5, "patience": 2, "cooldown": 1, "minLr": [0.002, 0.0], "threshold": 0.01}, metrics=LOSSES)
    o = two_groups(); out["ReduceLROnPlateau_max_abs"] = dict(record(o, S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=3, threshold=0.02, threshold_mode="abs", eps=1e-4), metrics=ACCS),
                                                              args={"mode": "max", "factor": 0.3, "patience": 3, "threshold": 0.02, "thresholdMode": "abs", "eps": 1e-4}, metrics=ACCS)
    st.save(os.path.join(OUT, "schedulers.safetensors"), {}, {"sequences": json.dumps(out), "steps": SCHED_STEPS})


# ---- gradient clipping ------------------------------------------------------------------------
def clip():
    g = torch.Generator().manual_seed(1)
    grads = {n: torch.randn(SHAPES[n], generator=g) * 0.7 for n in NAMES}
    tensors = {f"grad.{n}": grads[n] for n in NAMES}
    configs = {"l2": (1.0, 2.0), "l2_noclip": (100.0, 2.0), "inf": (0.5, math.inf), "l1": (2.0, 1.0), "l3": (1.5, 3.0), "neg_inf": (0.5, -math.inf)}
    meta = {}
    for name, (max_norm, p) in configs.items():
        params = [torch.zeros(SHAPES[n], requires_grad=True) for n in NAMES]
        for q, n in zip(params, NAMES):
            q.grad = grads[n].clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, p)
        tensors[f"norm.{name}"] = total.reshape([])
        for q, n in zip(params, NAMES):
            tensors[f"clipped.{name}.{n}"] = q.grad
        meta[name] = {"maxNorm": max_norm, "normType": "inf" if p == math.inf else "-inf" if p == -math.inf else p}
    params = [torch.zeros(SHAPES[n], requires_grad=True) for n in NAMES]
    for q, n in zip(params, NAMES):
        q.grad = grads[n].clone()
    torch.nn.utils.clip_grad_value_(params, 0.3)
    for q, n in zip(params, NAMES):
        tensors[f"value.{n}"] = q.grad
    st.save(os.path.join(OUT, "clip.safetensors"), tensors, {"configs": json.dumps(meta), "clipValue": 0.3})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_printoptions(precision=10)
    optimizers()
    schedulers()
    clip()
    print("wrote", OUT)
