#!/usr/bin/python3
"""Makes the PyTorch reference files the nn tests compare glimpse's layers against.

Run with Debian's python (it has python3-torch):   /usr/bin/python3 tests/nn/reference/make_reference.py

For each layer it builds a tiny PyTorch module with a fixed seed, runs a forward on a fixed input, then a backward
of L = sum(output * out_weight) (a fixed random weight per output, so every element of the gradient is checked, not
only their sum), and writes <layer>.safetensors beside this script with:
  the module's parameters under their PyTorch names ("weight", "weight_ih_l0", ...),
  "in.<name>"    the inputs (float32, or int64 ids),
  "out.<name>"   the outputs,
  "w.<name>"     the fixed weights of L, one per output,
  "grad.<name>"  dL/d(input or parameter), for every float input and every parameter.
The files are written by hand (the format is 8 bytes of header length, a JSON header, then the raw bytes), so the
safetensors package is not needed. The C++ tests never run this script; they only read its output.
"""
import os
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for the shared writer
from write_safetensors import save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(name, module, inputs, forward):
    """inputs: dict name -> tensor; forward(module, inputs) -> dict name -> output tensor."""
    for t in inputs.values():
        if t.is_floating_point():
            t.requires_grad_(True)
    outputs = forward(module, inputs)
    gen = torch.Generator().manual_seed(1234)
    weights = {k: torch.randn(v.shape, generator=gen) for k, v in outputs.items()}
    loss = sum((outputs[k] * weights[k]).sum() for k in outputs)
    loss.backward()

    out = {}
    for pname, p in module.named_parameters():
        out[pname] = p
    for k, v in inputs.items():
        out["in." + k] = v
    for k, v in outputs.items():
        out["out." + k] = v
    for k, v in weights.items():
        out["w." + k] = v
    for k, v in inputs.items():
        if v.is_floating_point():
            out["grad." + k] = v.grad
    for pname, p in module.named_parameters():
        out["grad." + pname] = p.grad
    save_safetensors(out, os.path.join(HERE, name + ".safetensors"))


def main():
    # Linear(4, 3) on a batch of [2, 3] rows of 4 features: x: [2, 3, 4] -> [2, 3, 3]
    torch.manual_seed(0)
    run("linear", torch.nn.Linear(4, 3), {"x": torch.randn(2, 3, 4)}, lambda m, i: {"y": m(i["x"])})

    # Embedding(6, 3) with padding_idx 1; ids repeat (gradients accumulate) and include the padding row.
    torch.manual_seed(1)
    ids = torch.tensor([[0, 1, 5], [5, 2, 1]])
    run("embedding", torch.nn.Embedding(6, 3, padding_idx=1), {"ids": ids}, lambda m, i: {"y": m(i["ids"])})

    # LayerNorm over the last 2 dims [3, 4], with non-trivial affine parameters: x: [2, 3, 4] -> [2, 3, 4]
    torch.manual_seed(2)
    ln = torch.nn.LayerNorm([3, 4])
    with torch.no_grad():
        ln.weight.copy_(torch.randn(3, 4))
        ln.bias.copy_(torch.randn(3, 4))
    run("layer_norm", ln, {"x": torch.randn(2, 3, 4) * 2 + 0.5}, lambda m, i: {"y": m(i["x"])})

    # LSTM(3, 4, num_layers=2, batch_first=True) with given (h0, c0): x: [B=2, T=5, 3] -> y: [2, 5, 4], h, c: [2, 2, 4]
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)

    def lstm_forward(m, i):
        y, (h, c) = m(i["x"], (i["h0"], i["c0"]))
        return {"y": y, "h": h, "c": c}

    run("lstm", lstm, {"x": torch.randn(2, 5, 3), "h0": torch.randn(2, 2, 4), "c0": torch.randn(2, 2, 4)},
        lstm_forward)

    # GRU(3, 4, num_layers=2), time-major, with h0: x: [T=4, B=2, 3] -> y: [4, 2, 4], h: [2, 2, 4]
    torch.manual_seed(4)
    gru = torch.nn.GRU(3, 4, num_layers=2)

    def gru_forward(m, i):
        y, h = m(i["x"], i["h0"])
        return {"y": y, "h": h}

    run("gru", gru, {"x": torch.randn(4, 2, 3), "h0": torch.randn(2, 2, 4)}, gru_forward)


if __name__ == "__main__":
    main()
