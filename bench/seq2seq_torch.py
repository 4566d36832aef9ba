"""The PyTorch twin of bench_seq2seq.cpp: the same seq2seq model (LSTM encoder over packed sequences, LSTMCell
decoder with input feeding, additive attention with the keys projected once per batch, output layer on [s; ctx]),
the same sizes and the same kind of batches, one training step = forward, loss (pad ignored), backward, clip 1.0,
Adam. Prints the median ms per step of each workload. Benchmark only: glimpse never depends on torch.

Run: /usr/bin/python3 bench/seq2seq_torch.py [threads]   (Debian's python3-torch; default: every core)
     /usr/bin/python3 bench/seq2seq_torch.py --task reverse --steps 200   (bench/run_bench.py's short run: one task,
                                          prints `result: ms_per_step=... cpu_ms_per_step=...` for the harness)
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2


class AdditiveAttention(nn.Module):
    """vᵀ tanh(W1 k + W2 q + b): glimpse's nn::AdditiveAttention with query_bias, under its parameter names."""

    def __init__(self, hidden):
        super().__init__()
        self.W1 = nn.Linear(hidden, hidden, bias=False)  # keys
        self.W2 = nn.Linear(hidden, hidden)              # query, with bias
        self.v = nn.Linear(hidden, 1, bias=False)


class Seq2Seq(nn.Module):
    """models::Seq2Seq with attention "additive", 1 layer, unidirectional: the same modules under the same names, so
    its state_dict() and a glimpse checkpoint's weights have the same keys, shapes and layouts (LSTM gates i, f, g, o
    in both)."""

    def __init__(self, src_vocab, tgt_vocab, emb, hidden):
        super().__init__()
        self.src_embedding = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.tgt_embedding = nn.Embedding(tgt_vocab, emb, padding_idx=PAD)
        self.encoder = nn.LSTM(emb, hidden, batch_first=True)
        self.cell = nn.LSTMCell(emb + hidden, hidden)
        self.attention = AdditiveAttention(hidden)
        self.out = nn.Linear(2 * hidden, tgt_vocab)

    # The attention's layers by their short names, for the scripts that read them so (seq2seq_translate_torch.py).
    @property
    def W1(self):
        return self.attention.W1

    @property
    def W2(self):
        return self.attention.W2

    @property
    def v(self):
        return self.attention.v

    def loss(self, src, src_len, tgt_in, tgt_out):
        B, S = src.shape
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embedding(src), src_len, batch_first=True,
                                                   enforce_sorted=False)
        states, (h, c) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=S)
        h, c = h[0], c[0]
        att = self.attention
        keys = att.W1(states)  # once per batch
        pad = (torch.arange(S)[None, :] >= src_len[:, None])
        ctx = torch.zeros(B, states.size(2))
        emb = self.tgt_embedding(tgt_in)
        feats = []
        for t in range(tgt_in.size(1)):
            h, c = self.cell(torch.cat([emb[:, t], ctx], 1), (h, c))
            scores = att.v(torch.tanh(att.W2(h)[:, None, :] + keys)).squeeze(2).masked_fill(pad, float("-inf"))
            w = torch.softmax(scores, 1)
            ctx = torch.bmm(w[:, None, :], states).squeeze(1)
            feats.append(torch.cat([h, ctx], 1))
        logits = self.out(torch.stack(feats, 1))
        return F.cross_entropy(logits.reshape(-1, logits.size(2)), tgt_out.reshape(-1), ignore_index=PAD)


def batch(gen, B, vocab_src, vocab_tgt, src_lens, tgt_lens):
    sl = torch.randint(src_lens[0], src_lens[1] + 1, (B,), generator=gen)
    tl = torch.randint(tgt_lens[0], tgt_lens[1] + 1, (B,), generator=gen)
    src = torch.zeros(B, int(sl.max()), dtype=torch.long)
    tin = torch.zeros(B, int(tl.max()) + 1, dtype=torch.long)
    tout = torch.zeros_like(tin)
    for b in range(B):
        src[b, :sl[b]] = torch.randint(4, vocab_src, (int(sl[b]),), generator=gen)
        words = torch.randint(4, vocab_tgt, (int(tl[b]),), generator=gen)
        tin[b, 0] = BOS
        tin[b, 1:tl[b] + 1] = words
        tout[b, :tl[b]] = words
        tout[b, tl[b]] = EOS
    return src, sl, tin, tout


def time_steps(batches, step):
    """Runs step(*batch) on every batch -> ((median wall ms, median CPU ms) per step after 3 warm-up steps, last
    return value of step)."""
    times, cpu = [], []
    for b in batches:
        start, start_cpu = time.perf_counter(), time.process_time()
        out = step(*b)
        times.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    times, cpu = sorted(times[3:]), sorted(cpu[3:])
    return (times[len(times) // 2], cpu[len(cpu) // 2]), out


def bench(name, B, src_vocab, tgt_vocab, emb, hidden, lr, src_lens, tgt_lens, steps):
    torch.manual_seed(0)
    model = Seq2Seq(src_vocab, tgt_vocab, emb, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    batches = [batch(gen, B, src_vocab, tgt_vocab, src_lens, tgt_lens) for _ in range(steps)]

    def step(src, sl, tin, tout):
        loss = model.loss(src, sl, tin, tout)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    (ms, cpu_ms), loss = time_steps(batches, step)
    print(f"torch {name}: {ms:.2f} ms/step (median of {len(batches) - 3}), loss {loss.item():.3f}")
    return ms, cpu_ms


TASKS = {
    # reverse: digits (vocab 4 + 10), 5-12 long, target as long as the source (+ <eos>)
    "reverse": ("reverse (B 32, emb 32, hidden 64)", 32, 14, 14, 32, 64, 3e-3, (5, 12), (5, 12), 40),
    # translate: the protocol's sizes (vocabularies 3207 / 6465 from eng-fra TRAIN), Tatoeba-like lengths
    "translate": ("translate (B 64, emb 128, hidden 256)", 64, 3207, 6465, 128, 256, 1e-3, (3, 9), (3, 11), 20),
}


def main():
    parser = argparse.ArgumentParser(description="PyTorch twin of bench_seq2seq / examples/seq2seq")
    parser.add_argument("threads", nargs="?", type=int, default=0, help="0: torch's default")
    parser.add_argument("--task", choices=["both", *TASKS], default="both")
    parser.add_argument("--steps", type=int, default=0, help="steps per task (0: 40 reverse, 20 translate)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    for task in (TASKS if args.task == "both" else [args.task]):
        sizes = list(TASKS[task])
        if args.steps > 0:
            sizes[-1] = args.steps
        ms, cpu_ms = bench(*sizes)
        if args.task != "both":
            print(f"result: task={task} ms_per_step={ms:.3f} cpu_ms_per_step={cpu_ms:.3f}")


if __name__ == "__main__":
    main()
