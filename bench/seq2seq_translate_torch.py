"""The PyTorch reference of issue 12's translation protocol, end to end: the same tokenizer, split, vocabularies,
model (LSTM encoder over packed sequences, LSTMCell decoder with input feeding, additive attention with the keys
projected once per batch and the source padding masked, output layer on [s_t; ctx_t]), training (batch 64, Adam 1e-3,
clip 1.0, shuffled each epoch, <pad> ignored by the loss) and scoring (greedy up to 20 tokens, corpus BLEU-4 x 100,
exact match) as examples/seq2seq --task translate. Prints the train/TEST loss per epoch, BLEU, ms per step, and the
attention of the trained model on a few TEST sentences, so that glimpse's run can be compared number by number.
Benchmark only: glimpse never depends on torch.

Run: /usr/bin/python3 bench/seq2seq_translate_torch.py --data ../shared/data/eng-fra.tsv [--epochs 10] [--seed 0]
       [--threads 1] [--hyp FILE]
     /usr/bin/python3 bench/seq2seq_translate_torch.py --task reverse [--seed 0]   (the digit reversal task)
"""
import argparse
import collections
import math
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import seq2seq_torch  # the model, beside this file

PAD, BOS, EOS, UNK = 0, 1, 2, 3


def tokenize(line):
    s = line.lower()
    for p in ".!?,":
        s = s.replace(p, f" {p} ")
    return s.split()  # Python's whitespace: U+202F and U+2009 included


def read_corpus(path):
    train, test = [], []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            src, tgt = line.rstrip("\r\n").split("\t")[:2]
            (test if i % 10 == 9 else train).append((tokenize(src), tokenize(tgt)))
    return train, test


def build_vocab(sentences):
    counts = collections.Counter(t for s in sentences for t in s)
    tokens = sorted(counts, key=lambda t: (-counts[t], t))  # descending count, ties by code points
    itos = ["<pad>", "<bos>", "<eos>", "<unk>"] + tokens
    return {t: i for i, t in enumerate(itos)}, itos


class Seq2Seq(seq2seq_torch.Seq2Seq):
    """bench/seq2seq_torch.py's model (its parameters and training loss), with the encoder and one decoder step apart
    so that greedy decoding reuses them."""

    def encode(self, src, src_len):
        S = src.size(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embedding(src), src_len, batch_first=True,
                                                   enforce_sorted=False)
        states, (h, c) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=S)
        pad = torch.arange(S)[None, :] >= src_len[:, None]
        return states, self.W1(states), pad, (h[0], c[0])

    def step(self, y_prev, ctx, hc, states, keys, pad):
        h, c = self.cell(torch.cat([self.tgt_embedding(y_prev), ctx], 1), hc)
        scores = self.v(torch.tanh(self.W2(h)[:, None, :] + keys)).squeeze(2).masked_fill(pad, float("-inf"))
        w = torch.softmax(scores, 1)
        ctx = torch.bmm(w[:, None, :], states).squeeze(1)
        return torch.cat([h, ctx], 1), ctx, (h, c), w

    def loss(self, src, src_len, tgt_in, tgt_out):
        states, keys, pad, hc = self.encode(src, src_len)
        ctx = torch.zeros(src.size(0), states.size(2))
        feats = []
        for t in range(tgt_in.size(1)):
            f, ctx, hc, _ = self.step(tgt_in[:, t], ctx, hc, states, keys, pad)
            feats.append(f)
        logits = self.out(torch.stack(feats, 1))
        return F.cross_entropy(logits.reshape(-1, logits.size(2)), tgt_out.reshape(-1), ignore_index=PAD)

    @torch.no_grad()
    def greedy(self, src, src_len, max_len=20):
        states, keys, pad, hc = self.encode(src, src_len)
        B = src.size(0)
        ctx = torch.zeros(B, states.size(2))
        y = torch.full((B,), BOS, dtype=torch.long)
        out, weights, done = [[] for _ in range(B)], [[] for _ in range(B)], [False] * B
        for _ in range(max_len):
            f, ctx, hc, w = self.step(y, ctx, hc, states, keys, pad)
            y = self.out(f).argmax(1)
            for b in range(B):
                if done[b]:
                    continue
                weights[b].append(w[b, :int(src_len[b])].tolist())
                if int(y[b]) == EOS:
                    done[b] = True
                else:
                    out[b].append(int(y[b]))
        return out, weights


def pad_batch(seqs, bos=False, eos=False):
    seqs = [([BOS] if bos else []) + s + ([EOS] if eos else []) for s in seqs]
    T = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), T, dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s)
    return ids, torch.tensor([len(s) for s in seqs])


def make_batch(pairs):
    src, src_len = pad_batch([p[0] for p in pairs])
    tin, _ = pad_batch([p[1] for p in pairs], bos=True)
    tout, tlen = pad_batch([p[1] for p in pairs], eos=True)
    return src, src_len, tin, tout, int(tlen.sum())


def corpus_bleu(hyps, refs):
    match, total = [0] * 4, [0] * 4
    hyp_len = ref_len = 0
    for h, r in zip(hyps, refs):
        hyp_len += len(h)
        ref_len += len(r)
        for n in range(1, 5):
            hc = collections.Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc = collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            match[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    if min(match) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    return 100 * bp * math.exp(log_p)


def reverse_pair(rng):
    digits = [rng.randrange(10) for _ in range(rng.randint(5, 12))]
    return [4 + d for d in digits], [4 + d for d in reversed(digits)]


def reverse_main(a):
    """--task reverse: issue 12's digit reversal (5-12 digits, 500 held-out sequences never trained on), batch 32,
    emb 32, hidden 64, Adam 3e-3, clip 1.0, 1500 steps; exact match of greedy decoding on the held-out set."""
    rng = random.Random(a.seed)
    test, seen = [], set()
    while len(test) < 500:
        p = reverse_pair(rng)
        if tuple(p[0]) not in seen:
            seen.add(tuple(p[0]))
            test.append(p)
    model = Seq2Seq(14, 14, 32, 64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for step in range(a.steps):
        batch = []
        while len(batch) < 32:
            p = reverse_pair(rng)
            if tuple(p[0]) not in seen:
                batch.append(p)
        src, sl, tin, tout, _ = make_batch(batch)
        loss = model.loss(src, sl, tin, tout)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    ms = 1000 * (time.perf_counter() - start) / a.steps
    model.eval()
    src, sl, _, _, _ = make_batch(test)
    hyps, _ = model.greedy(src, sl, max_len=13)
    exact = sum(h == p[1] for h, p in zip(hyps, test)) / len(test)
    print(f"result: task=reverse seed={a.seed} exact_match={exact:.4f} last_loss={loss.item():.4f} "
          f"ms_per_step={ms:.1f} steps={a.steps}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="translate", choices=["translate", "reverse"])
    ap.add_argument("--steps", type=int, default=1500, help="reverse: optimizer steps")
    ap.add_argument("--data", default="../shared/data/eng-fra.tsv")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hyp", default="")
    ap.add_argument("--show", type=int, nargs="*", default=[0, 3, 24],
                    help="TEST indices whose attention to print")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    if a.task == "reverse":
        return reverse_main(a)
    train_tok, test_tok = read_corpus(a.data)
    s2i, _ = build_vocab([s for s, _ in train_tok])
    t2i, t_itos = build_vocab([t for _, t in train_tok])
    enc = lambda toks, v: [v.get(t, UNK) for t in toks]
    train = [(enc(s, s2i), enc(t, t2i)) for s, t in train_tok]
    test = [(enc(s, s2i), enc(t, t2i)) for s, t in test_tok]
    print(f"{len(train)} train / {len(test)} test pairs, vocabularies {len(s2i)} / {len(t2i)}")
    model = Seq2Seq(len(s2i), len(t2i), 128, 256)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def test_loss():
        model.eval()
        s = n = 0
        with torch.no_grad():
            for i in range(0, len(test), 128):
                src, sl, tin, tout, ntok = make_batch(test[i:i + 128])
                s += model.loss(src, sl, tin, tout).item() * ntok
                n += ntok
        model.train()
        return s / n

    steps, train_seconds = 0, 0.0
    for epoch in range(a.epochs):
        order = list(range(len(train)))
        random.shuffle(order)
        total = 0.0
        nb = 0
        start = time.perf_counter()
        for i in range(0, len(order), 64):
            src, sl, tin, tout, _ = make_batch([train[k] for k in order[i:i + 64]])
            loss = model.loss(src, sl, tin, tout)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item()
            nb += 1
            steps += 1
            if nb == 1 and epoch == 0:
                print(f"first loss {loss.item():.4f}", flush=True)
        train_seconds += time.perf_counter() - start
        print(f"epoch {epoch + 1}: train loss {total / nb:.4f}, test loss {test_loss():.4f}, "
              f"{1000 * train_seconds / steps:.1f} ms/step", flush=True)
    model.eval()
    hyps, weights = [], []
    for i in range(0, len(test), 128):
        src, sl, _, _, _ = make_batch(test[i:i + 128])
        o, w = model.greedy(src, sl)
        hyps += o
        weights += w
    hyp_tok = [[t_itos[i] for i in h] for h in hyps]
    refs = [t for _, t in test_tok]
    bleu = corpus_bleu(hyp_tok, refs)
    exact = sum(h == r for h, r in zip(hyp_tok, refs)) / len(refs)
    if a.hyp:
        with open(a.hyp, "w", encoding="utf-8") as f:
            f.writelines(" ".join(h) + "\n" for h in hyp_tok)
    for k in a.show:
        print(f"TEST {k}: {' '.join(test_tok[k][0])} -> {' '.join(hyp_tok[k])}")
        for tok, w in zip(hyp_tok[k] + ["<eos>"], weights[k]):
            print(f"  {tok:>12} " + " ".join(f"{x:.2f}" for x in w))
    print(f"result: bleu={bleu:.2f} exact_match={exact:.4f} val_loss={test_loss():.4f} "
          f"ms_per_step={1000 * train_seconds / steps:.1f} steps={steps}")


if __name__ == "__main__":
    main()
