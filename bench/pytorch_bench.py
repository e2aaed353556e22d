"""PyTorch (CPU) side of `npm run bench`: times the same workloads as bench/workloads/*.ts.

Usage: /usr/bin/python3 bench/pytorch_bench.py '<json spec>'
  spec: {"workload": "matmul", "cases": [{"id": ..., "params": {...}}], "timing": {...}}
Runs on every core (torch.set_num_threads(os.cpu_count()); FINETORCH_BENCH_TORCH_THREADS overrides).
Prints one JSON object: {"torch": version, "threads": n, "results": {case id: {"medianMs", "runsMs"[, "stats"]} | {"na"}}}.
Timing follows bench/lib/harness.ts: warm-up steps, then at least `runs` steps and until
`minTotalMs` has passed (at most `maxRuns`), median wall time. A step function with a `stats`
attribute is asked for its stats once after the timed runs (like Step.stats in the harness).
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

ROOT = __file__.rsplit("/bench/", 1)[0]


def reference_models():
    """tools/reference/models.py (SmallCNN, the twin of finetorch's models.SmallCNN) and its safetensors reader."""
    sys.path.insert(0, ROOT + "/tools/reference")
    import models
    import st
    return models, st


def live_bytes(tensors):
    """Bytes of the distinct storages behind `tensors` (None entries skipped)."""
    storages = {}
    for t in tensors:
        if t is not None:
            s = t.storage()
            storages[s.data_ptr()] = s.nbytes()
    return sum(storages.values())


def peak_bytes(step, live):
    """Peak live tensor bytes during one more step(): the bytes of `live()` (what the step starts
    with) plus the high point of the CPU allocator's allocations minus frees while it runs, from the
    profiler's memory events. The twin of torch.memory()[device].peakBytes after resetPeak in
    finetorch. Scratch memory that oneDNN takes outside PyTorch's allocator is not seen."""
    from torch._C._autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    base = live_bytes(live())
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]" and e.device_type() == DeviceType.CPU]
    events.sort(key=lambda e: e.start_us())  # stable: same-microsecond events keep their recorded order
    run = peak = 0
    for e in events:
        run += e.nbytes()
        peak = max(peak, run)
    return {"peakBytes": base + peak}


def model_tensors(model, opt=None):
    """Parameters, their gradients, buffers and optimizer state: what a step starts with besides its inputs."""
    out = list(model.parameters()) + [q.grad for q in model.parameters()] + list(model.buffers())
    if opt is not None:
        out += [v for st in opt.state.values() for v in st.values() if torch.is_tensor(v)]
    return out


def matmul(p):
    n = p["n"]
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    return lambda: torch.matmul(a, b)


def train_step(model, opt, x, y, set_to_none=False):
    """One training step as the workloads time it: forward, cross-entropy, backward, optimizer, loss read back."""
    def step():
        opt.zero_grad(set_to_none=set_to_none)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def mlp(p):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(p["inF"], p["hidden"]), torch.nn.ReLU(), torch.nn.Linear(p["hidden"], p["classes"]))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(p["batch"], p["inF"])
    y = torch.randint(0, p["classes"], (p["batch"],))

    return train_step(model, opt, x, y)


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
    models, _ = reference_models()
    torch.manual_seed(0)
    model = models.SmallCNN(p["classes"]).train()
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"])
    x = torch.randn(p["batch"], 1, 28, 28)
    y = torch.randint(0, p["classes"], (p["batch"],))

    return train_step(model, opt, x, y)


def head_training_step(model, head, x, y):
    """A training step of the whole model, or (head given) of the head alone with the rest frozen and
    its BatchNorms in eval, as finetorch's finetune.freeze leaves them; SGD with momentum."""
    if head is not None:
        for q in model.parameters():
            q.requires_grad = False
        for q in head.parameters():
            q.requires_grad = True
    model.train()
    if head is not None:
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
    opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=0.01, momentum=0.9)
    step = train_step(model, opt, x, y, set_to_none=True)  # finetorch's zeroGrad default (and PyTorch 2's)
    step.stats = lambda: peak_bytes(step, lambda: model_tensors(model, opt) + [x, y])
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

        fwd.stats = lambda: peak_bytes(fwd, lambda: model_tensors(model) + [x])
        return fwd
    return head_training_step(model, model.fc if p["frozen"] else None, x, y)


def mobile_nets(p):
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, p["model"])()
    x = torch.randn(p["batch"], 3, p["size"], p["size"])
    y = torch.randint(0, 1000, (p["batch"],))
    return head_training_step(model, model.classifier[-1] if p["frozen"] else None, x, y)


def demo_epoch(p):
    """One epoch of examples/demo.ts's fine-tuning: SmallCNN with the pretrained 0–4 backbone
    (examples/assets), a new 5-way head, everything but fc frozen (BatchNorm in eval), SGD over fc,
    `perClass` * 5 images in shuffled batches of `batchSize`; loss and accuracy summed per step and
    read back at the end, as finetune.fit does. Images: random tensors of MNIST's shape (the data
    does not change the work); labels balanced over the 5 classes. With `val`, the validation pass
    fit runs after the epoch (eval mode, no_grad, one batch of `valSize`)."""
    models, st = reference_models()
    torch.manual_seed(0)
    model = models.SmallCNN(p["classes"])
    backbone = {k: v for k, v in st.load(ROOT + "/examples/assets/smallcnn-mnist04.safetensors").items() if not k.startswith("fc.")}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    if unexpected or any(not k.startswith("fc.") and not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError("pretrained SmallCNN keys do not match: missing %s, unexpected %s" % (missing, unexpected))
    model.fc = torch.nn.Linear(model.fc.in_features, p["classes"])
    for name, q in model.named_parameters():
        q.requires_grad = name.startswith("fc.")
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=p["lr"], momentum=p["momentum"])
    n = p["perClass"] * p["classes"]
    data = torch.utils.data.TensorDataset(torch.randn(n, 1, 28, 28), torch.arange(p["classes"]).repeat_interleave(p["perClass"]))
    loader = torch.utils.data.DataLoader(data, batch_size=p["batchSize"], shuffle=True)
    val = (torch.randn(p["valSize"], 1, 28, 28), torch.randint(0, p["classes"], (p["valSize"],))) if p["val"] else None

    def epoch():
        model.train()
        for m in bns:
            m.eval()  # frozen BatchNorm keeps its statistics, as finetune.freeze does
        loss_sum, correct = torch.zeros(()), torch.zeros(())
        opt.zero_grad(set_to_none=True)
        for xb, yb in loader:
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            with torch.no_grad():
                loss_sum = loss_sum + loss * len(yb)
                correct = correct + (out.argmax(1) == yb).sum()
        result = [loss_sum.item(), correct.item()]
        if val is not None:
            model.eval()
            with torch.no_grad():
                out = model(val[0])
                result += [(F.cross_entropy(out, val[1]) * len(val[1])).item(), (out.argmax(1) == val[1]).sum().item()]
        return result

    return epoch


WORKLOADS = {"matmul": matmul, "mlp": mlp, "conv2d": conv2d, "train_step_smallcnn": train_step_smallcnn, "resnet18": resnet18, "mobile_nets": mobile_nets, "demo_epoch": demo_epoch}


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
    out = {"medianMs": statistics.median(runs), "runsMs": [round(r, 3) for r in runs]}
    if hasattr(fn, "stats"):
        out["stats"] = fn.stats()
    return out


def main():
    spec = json.loads(sys.argv[1])
    # Debian's build starts with one thread here; finetorch's webgpu device (lavapipe) uses every
    # core, so the native reference gets them too (FINETORCH_BENCH_TORCH_THREADS overrides).
    torch.set_num_threads(int(os.environ.get("FINETORCH_BENCH_TORCH_THREADS") or os.cpu_count() or 1))
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
