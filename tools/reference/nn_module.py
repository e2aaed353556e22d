"""Reference fixtures for src/nn (Module, layers, state dicts); run with /usr/bin/python3.

  nn_module.py -> test/fixtures/nn_module/{structure,layers,seed}.safetensors (committed)

structure: a nested model (Sequential in Sequential, BatchNorm, a ModuleList, a shared child, a
           non-persistent buffer, a parameter registered after a child): its state dict (values
           and key order), named_parameters/buffers/modules/children, print(model), the result of a
           non-strict load of an edited state dict, and print() of a model holding every layer type.
layers:    weights, inputs and outputs (and some gradients) of single layers and a small
           Sequential, so src/nn layers can load the weights and compare outputs on both devices.
seed:      the seed's workflow on a small torchvision-style ResNet: replace fc, freeze all,
           unfreeze fc, print each child and its parameters' requires_grad, one backward.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "nn_module")


class Net(nn.Module):
    """Mirrored by `Net` in test/nn/module.test.ts, attribute for attribute."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU())
        self.alpha = nn.Parameter(torch.zeros(3))  # registered after a child: still first in the state dict
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)), nn.Linear(4, 4, bias=False)])
        self.register_buffer("scale", torch.ones(1))
        self.register_buffer("tmp", torch.zeros(2), persistent=False)
        self.head = nn.Sequential(nn.Sequential(nn.Linear(4, 2)), nn.GroupNorm(1, 2))
        self.emb = nn.Embedding(5, 4, padding_idx=0)
        self.shared = self.blocks[1]  # the same module twice: once in parameters(), twice in state_dict()


def every_layer():
    """Mirrored by `everyLayer()` in test/nn/module.test.ts."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
        nn.Sequential(nn.Linear(4, 2), nn.Dropout()),
        nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)]),
        nn.ModuleDict({"a": nn.GELU(), "b": nn.LeakyReLU()}),
        nn.MaxPool2d(3, 2, 1), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((1, 1)), nn.AdaptiveMaxPool1d(1),
        nn.Flatten(), nn.Unflatten(1, (2, 3)), nn.Identity(), nn.Embedding(10, 3, padding_idx=0),
        nn.LayerNorm(5), nn.GroupNorm(2, 4), nn.Softmax(dim=1), nn.LogSoftmax(1), nn.Softmax(),
        nn.Conv1d(4, 5, 3, stride=2, padding=1, dilation=2), nn.Conv2d(4, 4, (3, 1), padding="same", groups=2),
        nn.BatchNorm1d(3, momentum=None, affine=False), nn.CrossEntropyLoss(), nn.SiLU(), nn.Tanh(), nn.Sigmoid(),
        nn.MaxPool1d(2), nn.HuberLoss(), nn.Dropout(0.25, True), nn.LayerNorm([2, 3], eps=1e-6, elementwise_affine=False),
        nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(2, eps=1e-3, momentum=0.01, track_running_stats=False),
        nn.Linear(3, 1, bias=False),
    )


def structure():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-1, 1)
        net.stem[1].running_mean.uniform_(-1, 1)
        net.stem[1].running_var.uniform_(0.5, 2)
        net.stem[1].num_batches_tracked.fill_(7)
        net.scale.fill_(3)
    sd = net.state_dict()
    # a plain dict (no version metadata, like a safetensors file): one missing weight, a missing
    # num_batches_tracked (PyTorch fills it with 0 rather than reporting it), and unexpected keys
    edited = {k: v for k, v in sd.items() if k not in ("blocks.0.1.bias", "stem.1.num_batches_tracked")}
    edited["blocks.5.weight"] = torch.zeros(4, 4)
    edited["tmp"] = torch.zeros(2)  # a non-persistent buffer is not state
    edited["extra"] = torch.zeros(1)
    target = Net()
    res = target.load_state_dict(edited, strict=False)
    try:
        Net().load_state_dict(edited)
        strict_msg = ""
    except RuntimeError as e:
        strict_msg = str(e)
    meta = {
        "keys": json.dumps([[k, list(v.shape)] for k, v in sd.items()]),
        "named_parameters": json.dumps([n for n, _ in net.named_parameters()]),
        "named_buffers": json.dumps([n for n, _ in net.named_buffers()]),
        "named_modules": json.dumps([n for n, _ in net.named_modules()]),
        "children": json.dumps([n for n, _ in net.named_children()]),
        "repr": repr(net),
        "every_layer_repr": repr(every_layer()),
        "edited_removed": json.dumps(["blocks.0.1.bias", "stem.1.num_batches_tracked"]),
        "edited_added": json.dumps(["blocks.5.weight", "tmp", "extra"]),
        "missing_keys": json.dumps(res.missing_keys),
        "unexpected_keys": json.dumps(res.unexpected_keys),
        "strict_message": strict_msg,
        "loaded_num_batches_tracked": str(int(target.stem[1].num_batches_tracked)),
    }
    st.save(os.path.join(OUT, "structure.safetensors"), {f"sd.{k}": v for k, v in sd.items()}, meta)


def layers():
    torch.manual_seed(1)
    t = {}

    def params(prefix, m):
        with torch.no_grad():
            for k, v in m.state_dict().items():
                t[f"{prefix}.sd.{k}"] = v.clone()

    lin = nn.Linear(5, 3)
    params("linear", lin)
    t["linear.x"] = torch.randn(2, 3, 5)
    t["linear.y"] = lin(t["linear.x"])

    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    params("conv2d", conv)
    t["conv2d.x"] = torch.randn(2, 4, 7, 7)
    t["conv2d.y"] = conv(t["conv2d.x"])

    conv1 = nn.Conv1d(3, 4, 3, padding=2, dilation=2, padding_mode="reflect")
    params("conv1d", conv1)
    t["conv1d.x"] = torch.randn(2, 3, 9)
    t["conv1d.y"] = conv1(t["conv1d.x"])

    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    params("bn2d", bn)
    bn.train()
    for i in range(2):
        t[f"bn2d.x{i}"] = torch.randn(4, 3, 5, 5) * 2 + 1
        t[f"bn2d.y{i}"] = bn(t[f"bn2d.x{i}"])
    for k, v in bn.state_dict().items():
        t[f"bn2d.after.{k}"] = v.clone()
    bn.eval()
    t["bn2d.xe"] = torch.randn(2, 3, 5, 5)
    t["bn2d.ye"] = bn(t["bn2d.xe"])

    cma = nn.BatchNorm1d(3, momentum=None)
    params("bn1d_cma", cma)
    for i in range(3):
        t[f"bn1d_cma.x{i}"] = torch.randn(6, 3) * (i + 1)
        t[f"bn1d_cma.y{i}"] = cma(t[f"bn1d_cma.x{i}"])
    for k, v in cma.state_dict().items():
        t[f"bn1d_cma.after.{k}"] = v.clone()

    emb = nn.Embedding(10, 4, padding_idx=0)
    params("embedding", emb)
    t["embedding.idx"] = torch.tensor([[0, 3, 9], [2, 0, 3]])
    y = emb(t["embedding.idx"])
    t["embedding.y"] = y
    y.sum().backward()
    t["embedding.grad"] = emb.weight.grad

    ln = nn.LayerNorm([2, 3])
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-0.5, 0.5)
    params("layernorm", ln)
    t["layernorm.x"] = torch.randn(4, 2, 3)
    t["layernorm.y"] = ln(t["layernorm.x"])

    gn = nn.GroupNorm(2, 4)
    with torch.no_grad():
        gn.weight.uniform_(0.5, 1.5)
        gn.bias.uniform_(-0.5, 0.5)
    params("groupnorm", gn)
    t["groupnorm.x"] = torch.randn(2, 4, 3, 3)
    t["groupnorm.y"] = gn(t["groupnorm.x"])

    seq = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(36, 5), nn.GELU(), nn.Linear(5, 3),
    )
    params("seq", seq)
    t["seq.x"] = torch.randn(2, 2, 6, 6)
    seq.train()
    y = seq(t["seq.x"])
    t["seq.y"] = y
    t["seq.r"] = torch.randn(2, 3)
    (y * t["seq.r"]).sum().backward()
    for k, p in seq.named_parameters():
        t[f"seq.grad.{k}"] = p.grad
    seq.eval()
    t["seq.ye"] = seq(t["seq.x"])

    logits = torch.randn(5, 4)
    target = torch.tensor([0, 3, 1, 1, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5])
    t["ce.logits"], t["ce.target"], t["ce.weight"] = logits, target, w
    t["ce.y"] = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, target)
    z, y01, pw = torch.randn(3, 4), torch.rand(3, 4), torch.tensor([1.0, 2.0, 3.0, 0.5])
    t["bcel.x"], t["bcel.target"], t["bcel.pos_weight"] = z, y01, pw
    t["bcel.y"] = nn.BCEWithLogitsLoss(pos_weight=pw, reduction="sum")(z, y01)
    st.save(os.path.join(OUT, "layers.safetensors"), t)


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)


class MiniResNet(nn.Module):
    """torchvision's ResNet layout at toy size; mirrored in test/nn/module-seed.test.ts."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
        down = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, 2, down), BasicBlock(16, 16))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def seed():
    torch.manual_seed(2)
    resnet = MiniResNet()
    # the seed, verbatim: a new 2-class head, freeze all, unfreeze the head, look
    resnet.fc = nn.Linear(16, 2)
    for param in resnet.parameters():
        param.requires_grad = False
    for param in resnet.fc.parameters():
        param.requires_grad = True
    lines = []
    for child in resnet.children():
        lines.append(str(child))
        for param in child.parameters():
            lines.append(str(param.requires_grad))
    sd = {f"sd.{k}": v.clone() for k, v in resnet.state_dict().items()}
    x = torch.randn(2, 3, 16, 16)
    logits = resnet(x)
    target = torch.tensor([1, 0])
    F.cross_entropy(logits, target).backward()
    no_grad = [k for k, p in resnet.named_parameters() if p.grad is None]
    trainable = [k for k, p in resnet.named_parameters() if p.requires_grad]
    st.save(os.path.join(OUT, "seed.safetensors"),
            {**sd, "x": x, "logits": logits, "target": target, "grad.fc.weight": resnet.fc.weight.grad, "grad.fc.bias": resnet.fc.bias.grad},
            {"printed": "\n".join(lines), "grad_none": json.dumps(no_grad), "trainable": json.dumps(trainable)})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    structure()
    layers()
    seed()
