"""The PyTorch twin of examples/gpt, for side-by-side timing only (never a dependency of glimpse).

nanoGPT's model (pre-LayerNorm blocks, causal self-attention, GELU MLP, tied head, its initialisation, no biases) and
its training step (AdamW with decay on >= 2-d parameters, warm-up + cosine learning rate, gradient clipping 1.0) on
the same configuration as examples/gpt's defaults (4 layers, 4 heads, n_embd 128, context 64, batch 12) and the same
data (tiny shakespeare, character level, random contiguous blocks from the first 90 %). Written for Debian's torch
1.13, which has no F.scaled_dot_product_attention: attention is the explicit softmax(q kᵀ / √d + causal mask) v, as
nanoGPT does on such versions.

Run:   /usr/bin/python3 bench/gpt_torch.py [--iters 50] [--threads 2] [--data ../shared/data/tinyshakespeare.txt]
       (--max-iters 2000 --eval-interval 250 trains the whole run and prints the validation losses)
Prints one line per evaluation (when asked) and `result: ms_per_iter=... tokens_per_s=...` (mean over the timed
iterations, after 5 untimed warm-up iterations).
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=False)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).bool(), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = SelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=False)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head, block_size) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # tied
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
        # torch 1.13's LayerNorm always has a bias; nanoGPT's has none. Freeze it at 0 so the maths match.
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                m.bias.requires_grad_(False)

    def forward(self, idx, targets):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def default_data():
    d = os.path.dirname(os.path.abspath(__file__))
    while True:
        candidate = os.path.join(d, "shared", "data", "tinyshakespeare.txt")
        if os.path.exists(candidate) or os.path.dirname(d) == d:
            return candidate
        d = os.path.dirname(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=default_data(), help="default: shared/data/tinyshakespeare.txt found above this "
                    "file (as examples/gpt looks for it)")
    ap.add_argument("--iters", type=int, default=50, help="timed iterations")
    ap.add_argument("--max-iters", type=int, default=0, help="train this many steps instead (0: just --iters)")
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--threads", type=int, default=0, help="0: torch's default (OMP_NUM_THREADS if set)")
    ap.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    text = open(args.data, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train, val = data[:n], data[n:]
    block, batch = 64, 12

    def get_batch(split):
        d = train if split == "train" else val
        ix = torch.randint(len(d) - block, (batch,))
        return torch.stack([d[i:i + block] for i in ix]), torch.stack([d[i + 1:i + 1 + block] for i in ix])

    model = GPT(len(chars), block, 4, 4, 128)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))
    total = args.max_iters if args.max_iters > 0 else args.iters + 5

    def lr_at(it, warmup=100, decay=2000, lr=1e-3, min_lr=1e-4):
        if it < warmup:
            return lr * (it + 1) / (warmup + 1)
        if it > decay:
            return min_lr
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * (it - warmup) / (decay - warmup))) * (lr - min_lr)

    @torch.no_grad()
    def evaluate():
        model.eval()
        out = [sum(model(*get_batch(s)).item() for _ in range(20)) / 20 for s in ("train", "val")]
        model.train()
        return out

    timed, seconds, cpu_seconds = 0, 0.0, 0.0  # CPU time too: on a loaded machine wall time includes waiting
    for it in range(total + 1):
        if args.max_iters > 0 and (it % args.eval_interval == 0 or it == total):
            tl, vl = evaluate()
            print(f"step {it}: train loss {tl:.4f}, val loss {vl:.4f}", flush=True)
        if it == total:
            break
        start, cpu_start = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = get_batch("train")
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if it >= 5:
            seconds += time.perf_counter() - start
            cpu_seconds += time.process_time() - cpu_start
            timed += 1
    ms = 1e3 * seconds / timed
    print(f"result: ms_per_iter={ms:.2f} tokens_per_s={batch * block * 1e3 / ms:.0f} "
          f"cpu_ms_per_iter={1e3 * cpu_seconds / timed:.2f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
