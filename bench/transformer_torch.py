"""The PyTorch twin of `examples/seq2seq --model transformer --task translate` for bench/run_bench.py: the same
encoder-decoder (models/transformer.h: post-norm, d_model 128, 4 heads, 3 + 3 layers, feed-forward 512, ReLU,
dropout 0.1, sinusoidal positions, embeddings scaled by sqrt(d_model), output layer tied to the target embedding),
the same loss (cross-entropy with label smoothing 0.1, <pad> ignored), Adam(0.9, 0.98, 1e-9) under the paper's
schedule (warm-up 400) and gradient clipping at 1.0, on random batches of the translate protocol's sizes (B 64,
vocabularies 3207 / 6465, Tatoeba-like lengths, as bench/seq2seq_torch.py). Benchmark only: glimpse never depends on
torch.

Run: /usr/bin/python3 bench/transformer_torch.py [--steps 60] [--threads N]
Prints the median ms (wall and CPU) per training step, and `result: ms_per_step=... cpu_ms_per_step=...`.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from seq2seq_torch import PAD, batch, time_steps


def sinusoidal(positions, d):
    pe = torch.zeros(positions, d)
    pos = torch.arange(positions, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


class Transformer(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d=128, heads=4, layers=3, ff=512, dropout=0.1):
        super().__init__()
        self.d = d
        self.src_embedding = nn.Embedding(src_vocab, d, padding_idx=PAD)
        self.tgt_embedding = nn.Embedding(tgt_vocab, d, padding_idx=PAD)
        self.register_buffer("pe", sinusoidal(128, d))
        self.core = nn.Transformer(d, heads, layers, layers, ff, dropout, batch_first=True)
        self.out = nn.Linear(d, tgt_vocab)
        # glimpse's init: embeddings ~ N(0, d^-1/2) (unit-scale logits through the tied output layer), Xavier-uniform
        # linear weights (nn.Transformer's own _reset_parameters does that for every matrix already)
        nn.init.normal_(self.src_embedding.weight, 0.0, d ** -0.5)
        nn.init.normal_(self.tgt_embedding.weight, 0.0, d ** -0.5)
        self.out.weight = self.tgt_embedding.weight  # tied, as glimpse's default
        self.drop = nn.Dropout(dropout)

    def embed(self, emb, ids):
        return self.drop(emb(ids) * math.sqrt(self.d) + self.pe[: ids.size(1)])

    def loss(self, src, src_len, tgt_in, tgt_out, smoothing=0.1):
        S, T = src.size(1), tgt_in.size(1)
        src_pad = torch.arange(S)[None, :] >= src_len[:, None]
        causal = torch.triu(torch.full((T, T), float("-inf")), 1)
        y = self.core(self.embed(self.src_embedding, src), self.embed(self.tgt_embedding, tgt_in), tgt_mask=causal,
                      src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad)
        logits = self.out(y)
        return F.cross_entropy(logits.reshape(-1, logits.size(2)), tgt_out.reshape(-1), ignore_index=PAD,
                               label_smoothing=smoothing)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    src_vocab, tgt_vocab, B, d, warmup = 3207, 6465, 64, 128, 400
    model = Transformer(src_vocab, tgt_vocab, d)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.5, betas=(0.9, 0.98), eps=1e-9)
    # The paper's schedule (glimpse's optim::NoamLR): lr · d^-0.5 · min(step^-0.5, step · warmup^-1.5)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: d ** -0.5 * min((s + 1) ** -0.5, (s + 1) * warmup ** -1.5))
    gen = torch.Generator().manual_seed(1)
    batches = [batch(gen, B, src_vocab, tgt_vocab, (3, 9), (3, 11)) for _ in range(args.steps)]

    def step(src, sl, tin, tout):
        loss = model.loss(src, sl, tin, tout)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        return loss

    (ms, cpu_ms), loss = time_steps(batches, step)
    print(f"torch transformer translate (B 64, d 128, 3 + 3 layers): {ms:.2f} ms/step (median of {len(batches) - 3}), "
          f"loss {loss.item():.3f}")
    print(f"result: ms_per_step={ms:.3f} cpu_ms_per_step={cpu_ms:.3f} last_loss={loss.item():.4f}")


if __name__ == "__main__":
    main()
