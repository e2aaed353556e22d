"""PyTorch (CPU) side of `npm run bench`: times the same workloads as bench/workloads/*.ts.

Usage: /usr/bin/python3 bench/pytorch_bench.py '<json spec>'
  spec: {"workload": "matmul", "cases": [{"id": ..., "params": {...}}], "timing": {...}}
Prints one JSON object: {"torch": version, "threads": n, "results": {case id: {"medianMs", "runsMs"} | {"na"}}}.
Timing follows bench/lib/harness.ts: warm-up steps, then at least `runs` steps and until
`minTotalMs` has passed (at most `maxRuns`), median wall time.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def matmul(p):
    n = p["n"]
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    return lambda: torch.matmul(a, b)


def mlp(p):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(p["inF"], p["hidden"]), torch.nn.ReLU(), torch.nn.Linear(p["hidden"], p["classes"]))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(p["batch"], p["inF"])
    y = torch.randint(0, p["classes"], (p["batch"],))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def conv2d(p):
    x = torch.randn(p["n"], p["cIn"], p["h"], p["w"], requires_grad=p["backward"])
    w = torch.randn(p["cOut"], p["cIn"], p["k"], p["k"], requires_grad=p["backward"])
    if not p["backward"]:
        def fwd():
            with torch.no_grad():
                return F.conv2d(x, w, padding=p["pad"])
        return fwd
    gy = torch.randn(p["n"], p["cOut"], p["h"], p["w"])

    def fwd_bwd():
        x.grad = None
        w.grad = None
        y = F.conv2d(x, w, padding=p["pad"])
        y.backward(gy)
        return x.grad, w.grad

    return fwd_bwd


def train_step_smallcnn(p):
    # tools/reference/models.py's SmallCNN, the twin of finetorch's models.SmallCNN
    sys.path.insert(0, __file__.rsplit("/bench/", 1)[0] + "/tools/reference")
    from models import SmallCNN
    torch.manual_seed(0)
    model = SmallCNN(p["classes"]).train()
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"])
    x = torch.randn(p["batch"], 1, 28, 28)
    y = torch.randint(0, p["classes"], (p["batch"],))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def resnet18(p):
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    x = torch.randn(p["batch"], 3, p["size"], p["size"])
    y = torch.randint(0, 1000, (p["batch"],))
    if p["mode"] == "eval":
        model.eval()

        def fwd():
            with torch.no_grad():
                return model(x).numpy()

        return fwd
    if p["frozen"]:
        for q in model.parameters():
            q.requires_grad = False
        for q in model.fc.parameters():
            q.requires_grad = True
    model.train()
    if p["frozen"]:
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
    opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


WORKLOADS = {"matmul": matmul, "mlp": mlp, "conv2d": conv2d, "train_step_smallcnn": train_step_smallcnn, "resnet18": resnet18}


def time_step(fn, t):
    budget = t["maxStepMs"] if t["maxStepMs"] is not None else float("inf")
    for i in range(t["warmup"]):
        t0 = time.perf_counter()
        fn()
        dt = (time.perf_counter() - t0) * 1000
        if (i == 0 and dt > max(4 * budget, 30000)) or (i == t["warmup"] - 1 and dt > budget):
            return {"na": "%.1f s per step, over the %g s budget (--full measures it)" % (dt / 1000, budget / 1000)}
    runs, total = [], 0.0
    while len(runs) < t["runs"] or (total < t["minTotalMs"] and len(runs) < t["maxRuns"]):
        t0 = time.perf_counter()
        fn()
        dt = (time.perf_counter() - t0) * 1000
        runs.append(dt)
        total += dt
    return {"medianMs": statistics.median(runs), "runsMs": [round(r, 3) for r in runs]}


def main():
    spec = json.loads(sys.argv[1])
    make = WORKLOADS.get(spec["workload"])
    results = {}
    for c in spec["cases"]:
        if make is None:
            results[c["id"]] = {"na": "no PyTorch version of workload " + spec["workload"]}
            continue
        results[c["id"]] = time_step(make(c["params"]), spec["timing"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
