"""PyTorch twin of bench_attention_memory: one causal attention layer (B 1, 4 heads, d 32), forward + backward, the
explicit softmax(q kᵀ / √d + mask) v (Debian's torch 1.13 has no fused scaled_dot_product_attention). Prints the same
`result:` line: the process's peak RSS, and that before attention ran.

Run:  /usr/bin/python3 bench/attention_memory_torch.py --T 2048
"""
import argparse
import math
import resource
import time

import torch

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--T", type=int, default=1024)
args = parser.parse_args()
T = args.T
torch.manual_seed(0)
q, k, v = (torch.randn(1, 4, T, 32, requires_grad=True) for _ in range(3))
proj = torch.randn(1, 4, T, 32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
mask = torch.ones(T, T, dtype=torch.bool).triu(1)
att = (q @ k.transpose(-2, -1) / math.sqrt(32)).masked_fill(mask, float("-inf")).softmax(-1)
((att @ v) * proj).sum().backward()
ms = (time.perf_counter() - start) * 1e3
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"result: T={T} mode=torch peak_rss_mb={peak:.1f} before_mb={before:.1f} attention_mb={peak - before:.1f} "
      f"ms={ms:.1f}")
