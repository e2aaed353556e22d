"""Reference models and parity fixtures for src/models (run with /usr/bin/python3).

  models.py small   -> test/fixtures/models/{textcnn,textcnn_regcls,smallcnn}.safetensors (committed)
  models.py resnet18 OUT_DIR -> OUT_DIR/resnet18.safetensors (weights, ~45 MB) and
                                OUT_DIR/resnet18_io.safetensors (input, eval logits, loss grads)
The TextCNN family and SmallCNN here are the definitions src/models mirrors, key for key.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


class TextCNN(nn.Module):
    """Kim (2014): embedding -> parallel Conv1d -> ReLU -> max over time -> concat -> dropout -> fc."""

    def __init__(self, vocab_size, num_classes, embed_dim=128, kernel_sizes=(3, 4, 5), num_filters=100, dropout=0.5, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def features(self, x):
        e = self.embedding(x).transpose(1, 2)
        return self.dropout(torch.cat([F.relu(c(e)).amax(dim=2) for c in self.convs], dim=1))

    def forward(self, x):
        return self.fc(self.features(x))


class TextCNNRegressionClass(TextCNN):
    """The seed's second case: the same trunk (same key names), a classification and a regression head."""

    def __init__(self, vocab_size, num_classes, **kw):
        super().__init__(vocab_size, num_classes, **kw)
        width = self.fc.in_features
        del self.fc
        self.classifier = nn.Linear(width, num_classes)
        self.regressor = nn.Linear(width, 1)

    def forward(self, x):
        h = self.features(x)
        return self.classifier(h), self.regressor(h).squeeze(1)


class SmallCNN(nn.Module):
    """The demo's backbone for 28x28 grey images."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.fc = nn.Linear(64 * 3 * 3, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2).flatten(1)
        return self.fc(x)


def stir_batchnorm(model, make_input, steps=3):
    """A few training-mode forwards so running statistics are not the trivial 0/1."""
    model.train()
    with torch.no_grad():
        for _ in range(steps):
            model(make_input())


def grads_of(model, loss):
    model.zero_grad()
    loss.backward()
    return {f"grad.{k}": p.grad for k, p in model.named_parameters() if p.grad is not None}


def small():
    out = os.path.join(ROOT, "test", "fixtures", "models")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    kw = dict(embed_dim=16, kernel_sizes=(2, 3, 4), num_filters=8, dropout=0.5)
    tc = TextCNN(50, 3, **kw).eval()
    ids = torch.randint(1, 50, (4, 12))
    ids[0, 8:] = 0  # padding
    target = torch.tensor([0, 2, 1, 2])
    logits = tc(ids)
    g = grads_of(tc, F.cross_entropy(logits, target))
    st.save(os.path.join(out, "textcnn.safetensors"),
            {**{f"param.{k}": v for k, v in tc.state_dict().items()}, "input": ids, "target": target, "logits": logits, **g},
            {"config": "vocab=50 classes=3 embed=16 kernels=2,3,4 filters=8"})

    torch.manual_seed(1)
    rc = TextCNNRegressionClass(50, 4, **kw).eval()
    model_dict = rc.state_dict()
    pretrained = {k: v for k, v in tc.state_dict().items() if k in model_dict}
    model_dict.update(pretrained)
    rc.load_state_dict(model_dict)
    cls, reg = rc(ids)
    value = torch.randn(4)
    g = grads_of(rc, F.cross_entropy(cls, torch.tensor([3, 0, 1, 2])) + F.mse_loss(reg, value))
    st.save(os.path.join(out, "textcnn_regcls.safetensors"),
            {**{f"param.{k}": v for k, v in rc.state_dict().items()}, "input": ids, "class_target": torch.tensor([3, 0, 1, 2]),
             "value": value, "class_logits": cls, "regression": reg, **g},
            {"loaded": ",".join(pretrained), "classes": "4"})

    torch.manual_seed(2)
    sc = SmallCNN(10)
    stir_batchnorm(sc, lambda: torch.randn(8, 1, 28, 28) * 2 + 0.5)
    x = torch.rand(3, 1, 28, 28)
    sc.eval()
    eval_logits = sc(x)
    params = {f"param.{k}": v.clone() for k, v in sc.state_dict().items()}
    sc.train()
    y = torch.tensor([1, 7, 3])
    g = grads_of(sc, F.cross_entropy(sc(x), y))
    after = {f"after.{k}": v for k, v in sc.state_dict().items() if "running" in k or "num_batches" in k}
    st.save(os.path.join(out, "smallcnn.safetensors"), {**params, "input": x, "target": y, "eval_logits": eval_logits, **g, **after})

    # torchvision's structure, without its 45 MB of weights: keys, shapes and print(model)
    import json
    import torchvision

    for name in ("resnet18", "resnet50"):
        m = getattr(torchvision.models, name)(num_classes=1000)
        with open(os.path.join(out, f"{name}_structure.json"), "w") as f:
            json.dump({"keys": [[k, list(v.shape)] for k, v in m.state_dict().items()], "repr": repr(m)}, f)


def resnet18(out_dir):
    import torchvision

    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=1000)
    # non-trivial BatchNorm affine parameters too
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    stir_batchnorm(m, lambda: torch.randn(4, 3, 64, 64))
    m.eval()
    x = torch.randn(2, 3, 64, 64)
    logits = m(x)
    st.save(os.path.join(out_dir, "resnet18.safetensors"), m.state_dict())
    target = torch.tensor([3, 999])
    g = grads_of(m, F.cross_entropy(m(x), target))
    keep = {k: v for k, v in g.items() if k in ("grad.fc.weight", "grad.fc.bias", "grad.conv1.weight", "grad.layer4.1.conv2.weight", "grad.layer1.0.bn1.weight")}
    st.save(os.path.join(out_dir, "resnet18_io.safetensors"), {"input": x, "logits": logits, "target": target, **keep})
    torch.save(m.state_dict(), os.path.join(out_dir, "resnet18.pth"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["small"]:
        small()
    elif sys.argv[1:2] == ["resnet18"]:
        resnet18(sys.argv[2])
    else:
        sys.exit(__doc__)
