#!/usr/bin/python3
"""Makes gpt.safetensors and gpt_nobias.safetensors: a tiny nanoGPT run once in PyTorch, for tests/models/test_interop.cpp
(and gpt_char65.safetensors, weights only, for examples/gpt --init-from; see make_char65).

In the style of llm.c's test_gpt2: the model is nanoGPT's model.py (module and parameter names, pre-LayerNorm blocks,
fused c_attn, exact GELU, tied lm_head), built with fixed random weights; one batch goes forward, through nanoGPT's
loss and backward. The file holds
  "model.<name>"  the state_dict, exactly as nanoGPT's (both "transformer.wte.weight" and the tied "lm_head.weight"),
  "idx", "targets"  the batch [B, T] int64,
  "logits"          [B, T, vocab_size], "loss" [],
  "grad.<name>"     d loss / d parameter, for every parameter (the tied one once, under transformer.wte.weight),
all float32. glimpse must load "model.*" into models::GPT by name and reproduce the rest.

Run by hand (Debian's python3-torch; the C++ test only reads the files):
    /usr/bin/python3 tests/models/reference/make_gpt_reference.py
The weights are not nanoGPT's N(0, 0.02) start (its logits would be nearly uniform and its gradients tiny): every
parameter is drawn larger, LayerNorm gains around 1, so every term of the forward and backward matters.

torch 1.13 has no F.scaled_dot_product_attention; attention is nanoGPT's explicit fallback (softmax of the scaled,
causally masked scores). The causal mask is not saved (nanoGPT saves it as "attn.bias" only on torch < 2.0).
"""
import math
import os
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for the shared writer
from write_safetensors import save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm: an optional bias (torch 1.13's nn.LayerNorm always has one)."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.n_head, self.n_embd = c["n_head"], c["n_embd"]
        T = c["block_size"]
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T), persistent=False)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = LayerNorm(c["n_embd"], c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = LayerNorm(c["n_embd"], c["bias"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]),
            ln_f=LayerNorm(c["n_embd"], c["bias"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT

    def forward(self, idx, targets):
        pos = torch.arange(0, idx.size(1), dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


def make(name, bias, seed):
    torch.manual_seed(seed)
    c = dict(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=8, bias=bias)
    model = GPT(c)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("ln_1.weight") or pname.endswith("ln_2.weight") or pname.endswith("ln_f.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    B, T = 2, c["block_size"]
    idx = torch.randint(0, c["vocab_size"], (B, T))
    targets = torch.randint(0, c["vocab_size"], (B, T))
    logits, loss = model(idx, targets)
    loss.backward()
    out = {}
    for k, v in model.state_dict().items():
        out["model." + k] = v.clone()  # clone: the tied weight is written once per name
    out["idx"], out["targets"], out["logits"], out["loss"] = idx, targets, logits, loss
    for k, p in model.named_parameters():  # named_parameters lists the tied weight once, as glimpse does
        out["grad." + k] = p.grad
    print(f"{name}: loss {loss.item():.6f}, {sum(p.numel() for p in model.parameters())} parameters")
    save_safetensors(out, os.path.join(HERE, name + ".safetensors"))


def make_char65():
    """gpt_char65.safetensors: the state_dict alone of a tiny nanoGPT with tiny shakespeare's 65 characters, as an
    export from nanoGPT would write it (model_args as metadata), for examples/gpt --init-from in
    tests/examples/test_gpt.cpp."""
    torch.manual_seed(65)
    c = dict(block_size=16, vocab_size=65, n_layer=2, n_head=2, n_embd=8, bias=False)
    model = GPT(c)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.3 * torch.randn_like(p) if p.dim() >= 2 else 1.0 + 0.1 * torch.randn_like(p))
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    save_safetensors(sd, os.path.join(HERE, "gpt_char65.safetensors"), metadata=c)


if __name__ == "__main__":
    make("gpt", bias=True, seed=18)
    make("gpt_nobias", bias=False, seed=19)
    make_char65()
