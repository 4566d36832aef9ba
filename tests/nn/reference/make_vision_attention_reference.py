#!/usr/bin/python3
"""Makes the PyTorch reference files for the vision attention blocks (SqueezeExcitation, SpatialAttention,
NonLocalBlock, VisionTransformer), in the format of make_reference.py (whose run() it uses).

Each block is written here in a few lines of PyTorch from the formula in its glimpse header, with glimpse's parameter
names, so the file checks glimpse's implementation against an independent one.
Run with Debian's python (it has python3-torch):   /usr/bin/python3 tests/nn/reference/make_vision_attention_reference.py
"""
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import run  # noqa: E402


class SqueezeExcitation(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, max(1, c // ratio)), nn.Linear(max(1, c // ratio), c)

    def forward(self, x):
        a = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3))))))
        return x * a[:, :, None, None]


class SpatialAttention(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, k, padding=k // 2)

    def forward(self, x):
        m = torch.sigmoid(self.conv(torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)))
        return x * m, m


class NonLocalBlock(nn.Module):
    def __init__(self, c, ci):
        super().__init__()
        self.theta, self.phi, self.g, self.W = nn.Conv2d(c, ci, 1), nn.Conv2d(c, ci, 1), nn.Conv2d(c, ci, 1), nn.Conv2d(ci, c, 1)
        self.ci = ci

    def forward(self, x):
        n, _, h, w = x.shape
        rows = lambda t: t.reshape(n, self.ci, h * w).transpose(1, 2)  # noqa: E731
        q, k, v = rows(self.theta(x)), rows(self.phi(x)), rows(self.g(x))
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.ci), -1)
        z = (a @ v).transpose(1, 2).reshape(n, self.ci, h, w)
        return x + self.W(z), a


class Block(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, d), nn.Dropout(0.0))

    def forward(self, x):
        n = self.ln_1(x)
        h = x + self.self_attention(n, n, n)[0]
        return h + self.mlp(self.ln_2(h))


class ViT(nn.Module):
    def __init__(self, size, patch, c, layers, heads, d, mlp, classes):
        super().__init__()
        self.conv_proj = nn.Conv2d(c, d, patch, stride=patch)
        self.class_token = nn.Parameter(torch.randn(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.randn(1, 1 + (size // patch) ** 2, d))
        self.layers = nn.ModuleList([Block(d, heads, mlp) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        p = self.conv_proj(x).flatten(2).transpose(1, 2)
        z = torch.cat([self.class_token.expand(x.shape[0], -1, -1), p], 1) + self.pos_embedding
        for b in self.layers:
            z = b(z)
        return self.head(self.ln(z)[:, 0])


def main():
    torch.manual_seed(0)
    run("squeeze_excitation", SqueezeExcitation(8, 4), {"x": torch.randn(2, 8, 5, 3)}, lambda m, i: {"y": m(i["x"])})
    torch.manual_seed(1)
    run("spatial_attention", SpatialAttention(7), {"x": torch.randn(2, 3, 6, 5)},
        lambda m, i: dict(zip(("y", "map"), m(i["x"]))))
    torch.manual_seed(2)
    run("non_local_block", NonLocalBlock(4, 2), {"x": torch.randn(2, 4, 3, 5)},
        lambda m, i: dict(zip(("y", "weights"), m(i["x"]))))
    torch.manual_seed(3)
    vit = ViT(size=8, patch=4, c=2, layers=2, heads=2, d=8, mlp=16, classes=3)
    run("vision_transformer", vit, {"x": torch.randn(2, 2, 8, 8)}, lambda m, i: {"y": m(i["x"])})


if __name__ == "__main__":
    main()
