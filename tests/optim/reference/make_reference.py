"""Reference trajectories for tests/optim: PyTorch's optimizers on a fixed small problem.

Run once (needs Debian's python3-torch):  /usr/bin/python3 tests/optim/reference/make_reference.py
Writes trajectories.safetensors beside this script: the problem (W.init, b.init, X, Y) and, for each optimizer
configuration, the parameters after every one of 10 steps ("<config>.W.<t>", "<config>.b.<t>", t = 1..10).

The problem, all float64:  loss = sum((tanh(X @ W) + b - Y)^2) / 5, X [5, 3], W [3, 4], b [4], Y [5, 4],
with values from fixed formulas (no random numbers), so the C++ test can rebuild the same loss with glimpse ops.
"""
import math
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for the shared writer
from write_safetensors import save_safetensors  # noqa: E402

STEPS = 10
CONFIGS = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd_dampening_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    "adam_plain": (torch.optim.Adam, dict(lr=0.01)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.05, amsgrad=True)),
}


def problem():
    W = torch.tensor([[0.5 * math.sin(4 * i + j + 1) for j in range(4)] for i in range(3)], dtype=torch.float64)
    b = torch.tensor([0.1 * math.cos(j) for j in range(4)], dtype=torch.float64)
    X = torch.tensor([[math.cos(0.7 * i + 1.3 * k) for k in range(3)] for i in range(5)], dtype=torch.float64)
    Y = torch.tensor([[math.sin(0.5 * i - 0.9 * j) for j in range(4)] for i in range(5)], dtype=torch.float64)
    return W, b, X, Y


def main():
    W0, b0, X, Y = problem()
    out = {"W.init": W0, "b.init": b0, "X": X, "Y": Y}
    for name, (cls, kwargs) in CONFIGS.items():
        W = W0.clone().requires_grad_()
        b = b0.clone().requires_grad_()
        opt = cls([W, b], **kwargs)
        for t in range(1, STEPS + 1):
            loss = ((torch.tanh(X @ W) + b - Y) ** 2).sum() / 5
            opt.zero_grad()
            loss.backward()
            opt.step()
            out[f"{name}.W.{t}"] = W.detach().clone()
            out[f"{name}.b.{t}"] = b.detach().clone()
    path = pathlib.Path(__file__).with_name("trajectories.safetensors")
    save_safetensors(out, path)
    print(f"wrote {path} ({len(out)} tensors, torch {torch.__version__})")


if __name__ == "__main__":
    main()
