#!/usr/bin/python3
"""Makes the PyTorch reference files the attention tests compare glimpse against.

Run with Debian's python (it has python3-torch):   /usr/bin/python3 tests/nn/reference/make_attention_reference.py

Each case runs a tiny PyTorch computation with a fixed seed, then a backward of L = sum(output * w) with a fixed
random w per output (so every element of the gradient is checked, not only their sum), and writes
<case>.safetensors beside this script with:
  the module's parameters under their PyTorch names ("in_proj_weight", "out_proj.weight", ...),
  "in.<name>"    the inputs (float32; masks as int64 with 1 = masked out, glimpse's convention),
  "out.<name>"   the outputs,
  "w.<name>"     the fixed weights of L, one per output,
  "grad.<name>"  dL/d(input or parameter), for every float input and every parameter.
The C++ tests (tests/nn/test_multihead_attention.cpp, tests/nn/test_attention.cpp) only read these files.
The files are written by hand (8 bytes of header length, a JSON header, the raw bytes): no safetensors package needed.
"""
import math
import os
import pathlib
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for the shared writer
from write_safetensors import save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(name, module, inputs, masks, forward):
    """inputs: float tensors (get gradients); masks: bool tensors (saved as int64); forward(inputs, masks) -> outputs."""
    for t in inputs.values():
        t.requires_grad_(True)
    outputs = forward(inputs, masks)
    gen = torch.Generator().manual_seed(1234)
    weights = {k: torch.randn(v.shape, generator=gen) for k, v in outputs.items()}
    loss = sum((outputs[k] * weights[k]).sum() for k in outputs)
    loss.backward()

    out = {}
    params = list(module.named_parameters()) if module is not None else []
    for pname, p in params:
        out[pname] = p
    for k, v in inputs.items():
        out["in." + k] = v
    for k, v in masks.items():
        out["in." + k] = v.to(torch.int64)
    for k, v in outputs.items():
        out["out." + k] = v
    for k, v in weights.items():
        out["w." + k] = v
    for k, v in inputs.items():
        out["grad." + k] = v.grad
    for pname, p in params:
        out["grad." + pname] = p.grad
    save_safetensors(out, os.path.join(HERE, name + ".safetensors"))


def main():
    # MultiheadAttention(8, 2), PyTorch's default layout [T, B, E], self-attention with a key_padding_mask:
    # x: [T=4, B=2, 8], sequence lengths 4 and 2 -> y: [4, 2, 8], per-head weights [B=2, H=2, 4, 4].
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(8, 2)
    with torch.no_grad():  # non-zero biases, so that a bias bug cannot hide behind PyTorch's zero init
        mha.in_proj_bias.copy_(torch.randn(24) * 0.5)
        mha.out_proj.bias.copy_(torch.randn(8) * 0.5)
    pad = torch.tensor([[False, False, False, False], [False, False, True, True]])

    def mha_self(i, m):
        y, w = mha(i["x"], i["x"], i["x"], key_padding_mask=m["key_padding_mask"], need_weights=True,
                   average_attn_weights=False)
        return {"y": y, "weights": w}

    run("mha_self", mha, {"x": torch.randn(4, 2, 8)}, {"key_padding_mask": pad}, mha_self)

    # Cross-attention with kdim/vdim (separate q/k/v_proj_weight), batch_first, a key_padding_mask and a boolean
    # attn_mask [Tq, Tk]: query [B=2, Tq=3, 8], key [2, Tk=5, 6], value [2, 5, 4] -> y [2, 3, 8], averaged weights.
    torch.manual_seed(1)
    cross = torch.nn.MultiheadAttention(8, 4, kdim=6, vdim=4, batch_first=True)
    with torch.no_grad():
        cross.in_proj_bias.copy_(torch.randn(24) * 0.5)
        cross.out_proj.bias.copy_(torch.randn(8) * 0.5)
    kpm = torch.tensor([[False, False, False, False, True], [False, False, False, True, True]])
    am = torch.tensor([[False, True, False, False, False], [False, False, False, False, False],
                       [True, False, False, False, False]])

    def mha_cross(i, m):
        y, w = cross(i["q"], i["k"], i["v"], key_padding_mask=m["key_padding_mask"], attn_mask=m["attn_mask"],
                     need_weights=True, average_attn_weights=True)
        return {"y": y, "weights": w}

    run("mha_cross", cross, {"q": torch.randn(2, 3, 8), "k": torch.randn(2, 5, 6), "v": torch.randn(2, 5, 4)},
        {"key_padding_mask": kpm, "attn_mask": am}, mha_cross)

    # PyTorch's scaled dot-product attention with is_causal (top-left aligned), Tq = 3 < Tk = 5:
    # q [B=2, H=2, 3, 4], k [2, 2, 5, 4], v [2, 2, 5, 6] -> context [2, 2, 3, 6], weights [2, 2, 3, 5].
    # Debian's torch 1.13 has it as F._scaled_dot_product_attention (which also returns the weights); later versions
    # as F.scaled_dot_product_attention (which does not). Both are checked against the textbook formula
    # softmax(q kᵀ / √d + causal) v, whose weights are the ones saved.
    torch.manual_seed(2)

    def sdpa(i, m):
        q, k, v = i["q"], i["k"], i["v"]
        if hasattr(F, "scaled_dot_product_attention"):
            ctx = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            ctx, _ = F._scaled_dot_product_attention(q, k, v, None, 0.0, True, True)
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        weights = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
        assert torch.allclose(weights @ v, ctx, atol=1e-6)
        return {"context": ctx, "weights": weights}

    run("sdpa_causal", None, {"q": torch.randn(2, 2, 3, 4), "k": torch.randn(2, 2, 5, 4), "v": torch.randn(2, 2, 5, 6)},
        {}, sdpa)


if __name__ == "__main__":
    main()
