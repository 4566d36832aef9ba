#!/usr/bin/python3
"""Makes seq2seq.safetensors: a tiny Seq2Seq with additive attention, run once in PyTorch, for test_interop.cpp.

The model is the PyTorch twin of models::Seq2Seq in bench/seq2seq_torch.py (LSTM encoder over the packed source, an
LSTMCell decoder with input feeding, additive attention with the query bias, the output layer on [s; ctx]), whose
parameter names are glimpse's. It gets fixed random weights; one padded batch goes through the teacher-forced loss
(<pad> ignored) and backward. The file holds
  "model.<name>"  the state_dict (src_embedding.weight, encoder.weight_ih_l0, cell.weight_hh, attention.W2.bias, ...),
  "src" [B, S], "src_lengths" [B], "tgt_in" [B, T], "tgt_out" [B, T]  (int64),
  "loss" [], "grad.<name>"  d loss / d parameter, for every parameter,
all float32. glimpse must load "model.*" into models::Seq2Seq by name and reproduce the loss and every gradient.

Run by hand (Debian's python3-torch; the C++ test only reads the file):
    /usr/bin/python3 tests/models/reference/make_seq2seq_reference.py
"""
import os
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))  # the shared writer
sys.path.insert(0, str(ROOT / "bench"))  # the twin
from seq2seq_torch import PAD, Seq2Seq, batch  # noqa: E402
from write_safetensors import save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    torch.manual_seed(12)
    model = Seq2Seq(src_vocab=9, tgt_vocab=10, emb=6, hidden=8)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn_like(p))
        model.src_embedding.weight[PAD].zero_()  # as PyTorch initialises a padding_idx row
        model.tgt_embedding.weight[PAD].zero_()
    gen = torch.Generator().manual_seed(3)
    src, src_len, tgt_in, tgt_out = batch(gen, 3, 9, 10, (2, 5), (2, 4))
    loss = model.loss(src, src_len, tgt_in, tgt_out)
    loss.backward()
    out = {"model." + k: v for k, v in model.state_dict().items()}
    out.update({"src": src, "src_lengths": src_len, "tgt_in": tgt_in, "tgt_out": tgt_out, "loss": loss})
    for k, p in model.named_parameters():
        out["grad." + k] = p.grad
    print(f"seq2seq: loss {loss.item():.6f}, src lengths {src_len.tolist()}, tgt {tgt_in.shape}")
    save_safetensors(out, os.path.join(HERE, "seq2seq.safetensors"))


if __name__ == "__main__":
    main()
