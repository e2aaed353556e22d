"""Live optimizer state-dict round trip with real PyTorch (run by test/optim/torch-roundtrip.test.ts).

  optim_roundtrip.py DIR

DIR/ft.pth (written by finetorch): `init` and `grads` (4 steps) of parameters w, b; per optimizer
(`sgd`, `adam`) its hyperparameters (`hyper`, PyTorch keyword names), finetorch's state_dict() after
3 steps and the parameters then (`<name>_params`).
Writes DIR/torch.pth: per optimizer
  <name>_continued      finetorch's state loaded into torch.optim, one more step with grads[3]
  <name>_state          torch's own state_dict() after 3 steps from `init`, and <name>_params3 / _params4
                        (its parameters after 3 and after 4 steps)
  <name>_keys_loaded    the param-group keys of finetorch's state dict, and <name>_keys_torch: a fresh
                        torch optimizer's, both sorted (they must be equal)
"""
import copy
import os
import sys

import torch

CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
NAMES = ["w", "b"]


def main(d):
    ck = torch.load(os.path.join(d, "ft.pth"))
    grads = ck["grads"]
    out = {}
    for name, cls in CLASSES.items():
        hyper = {k: tuple(v) if k == "betas" else v for k, v in ck["hyper"][name].items()}
        # finetorch -> torch: its state loaded into torch.optim, one more step
        params = [ck[f"{name}_params"][n].detach().clone().requires_grad_(True) for n in NAMES]
        opt = cls(params, lr=1.0)
        opt.load_state_dict(ck[name])
        assert len(opt.state) == len(params), f"{name}: torch kept {len(opt.state)} of {len(params)} parameter states"
        for p, n in zip(params, NAMES):
            p.grad = grads[3][n].detach().clone()
        opt.step()
        out[f"{name}_continued"] = {n: p.detach() for p, n in zip(params, NAMES)}
        out[f"{name}_keys_loaded"] = sorted(ck[name]["param_groups"][0].keys())
        out[f"{name}_keys_torch"] = sorted(cls([torch.zeros(1, requires_grad=True)], **hyper).state_dict()["param_groups"][0].keys())
        # torch -> finetorch: torch's own state after 3 steps, and where its 4th step lands
        params = [ck["init"][n].detach().clone().requires_grad_(True) for n in NAMES]
        opt = cls(params, **hyper)
        for s in range(3):
            for p, n in zip(params, NAMES):
                p.grad = grads[s][n].detach().clone()
            opt.step()
        out[f"{name}_state"] = copy.deepcopy(opt.state_dict())  # the 4th step below updates state in place
        out[f"{name}_params3"] = {n: p.detach().clone() for p, n in zip(params, NAMES)}
        for p, n in zip(params, NAMES):
            p.grad = grads[3][n].detach().clone()
        opt.step()
        out[f"{name}_params4"] = {n: p.detach().clone() for p, n in zip(params, NAMES)}
    torch.save(out, os.path.join(d, "torch.pth"))
    print("ok optim_roundtrip")


if __name__ == "__main__":
    main(sys.argv[1])
