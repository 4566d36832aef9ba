#!/usr/bin/python3
"""Makes transformer.safetensors and transformer_prenorm.safetensors: a tiny models::Transformer run once in PyTorch.

The PyTorch twin of models::Transformer is below (class Transformer): PyTorch's own nn.TransformerEncoderLayer and
nn.TransformerDecoderLayer (batch_first, ReLU, norm_first for pre_norm) in ModuleLists "encoder" and "decoder",
embeddings "src_embedding" / "tgt_embedding" scaled by sqrt(d_model) plus sinusoidal positions (not saved: glimpse
computes them too), the final LayerNorms "encoder_norm" / "decoder_norm" with pre_norm only, and the output layer
"out" whose weight is tgt_embedding.weight when tied. Its state_dict() has glimpse's keys, shapes and layouts exactly
(in_proj_weight's rows are q, k, v on both sides). Each file holds
  "model.<name>"  the state_dict (with tied embeddings both "tgt_embedding.weight" and "out.weight"),
  "src" [B, S], "src_lengths" [B], "tgt_in" [B, T], "tgt_out" [B, T]  (int64, <pad> = 0),
  "logits" [B, T, tgt_vocab], "loss" [] (label smoothing 0.1, <pad> ignored),
  "grad.<name>"  d loss / d parameter, for every parameter (a tied one once, under its first name),
all float32; tests/models/test_interop.cpp loads "model.*" into models::Transformer and reproduces the rest.

Run by hand (Debian's python3-torch):   /usr/bin/python3 tests/models/reference/make_transformer_reference.py
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
PAD, BOS, EOS = 0, 1, 2


def sinusoidal_positions(positions, d):
    pos = torch.arange(positions, dtype=torch.float64)[:, None]
    i = torch.arange(d // 2, dtype=torch.float64)[None, :]
    angle = pos / torch.pow(10000.0, 2.0 * i / d)
    pe = torch.zeros(positions, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe.float()


class Transformer(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model, heads, layers, ff, pre_norm=False, tie_embeddings=True,
                 max_positions=64):
        super().__init__()
        self.d_model, self.pre_norm = d_model, pre_norm
        self.src_embedding = nn.Embedding(src_vocab, d_model)
        self.tgt_embedding = nn.Embedding(tgt_vocab, d_model)
        self.encoder = nn.ModuleList(nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True,
                                                                norm_first=pre_norm) for _ in range(layers))
        self.decoder = nn.ModuleList(nn.TransformerDecoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True,
                                                                norm_first=pre_norm) for _ in range(layers))
        if pre_norm:
            self.encoder_norm = nn.LayerNorm(d_model)
            self.decoder_norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, tgt_vocab)
        if tie_embeddings:
            self.out.weight = self.tgt_embedding.weight
        self.register_buffer("positions", sinusoidal_positions(max_positions, d_model), persistent=False)

    def embed(self, table, ids):
        return table(ids) * math.sqrt(self.d_model) + self.positions[:ids.size(1)]

    def forward(self, src, src_lengths, tgt_in):
        S, T = src.size(1), tgt_in.size(1)
        padding = torch.arange(S)[None, :] >= src_lengths[:, None]  # True at <pad>
        x = self.embed(self.src_embedding, src)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=padding)
        memory = self.encoder_norm(x) if self.pre_norm else x
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        y = self.embed(self.tgt_embedding, tgt_in)
        for layer in self.decoder:
            y = layer(y, memory, tgt_mask=causal, memory_key_padding_mask=padding)
        if self.pre_norm:
            y = self.decoder_norm(y)
        return self.out(y)


def make(name, pre_norm, tie, layers, seed):
    torch.manual_seed(seed)
    model = Transformer(src_vocab=7, tgt_vocab=9, d_model=8, heads=2, layers=layers, ff=16, pre_norm=pre_norm,
                        tie_embeddings=tie)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            is_norm = ".norm" in pname or pname.startswith("encoder_norm") or pname.startswith("decoder_norm")
            if is_norm and pname.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.4 * torch.randn_like(p))
    src_lengths = torch.tensor([5, 3, 4])
    tgt_lengths = torch.tensor([3, 4, 2])
    B, S, T = 3, 5, 5
    src = torch.zeros(B, S, dtype=torch.long)
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    tgt_out = torch.zeros(B, T, dtype=torch.long)
    for b in range(B):
        src[b, :src_lengths[b]] = torch.randint(3, 7, (int(src_lengths[b]),))
        words = torch.randint(3, 9, (int(tgt_lengths[b]),))
        tgt_in[b, 0] = BOS
        tgt_in[b, 1:tgt_lengths[b] + 1] = words
        tgt_out[b, :tgt_lengths[b]] = words
        tgt_out[b, tgt_lengths[b]] = EOS
    model.train()  # the training path (dropout is 0): what glimpse's loss runs
    logits = model(src, src_lengths, tgt_in)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD,
                           label_smoothing=0.1)
    loss.backward()
    out = {"model." + k: v.clone() for k, v in model.state_dict().items()}
    out.update({"src": src, "src_lengths": src_lengths, "tgt_in": tgt_in, "tgt_out": tgt_out, "logits": logits,
                "loss": loss})
    for k, p in model.named_parameters():
        out["grad." + k] = p.grad
    print(f"{name}: loss {loss.item():.6f}")
    save_safetensors(out, os.path.join(HERE, name + ".safetensors"))


if __name__ == "__main__":
    make("transformer", pre_norm=False, tie=True, layers=2, seed=21)
    make("transformer_prenorm", pre_norm=True, tie=False, layers=1, seed=22)
