"""The PyTorch twin of bench_ops.cpp: the same ops and shapes, the same printout (name TAB median µs per call).

Run:  /usr/bin/python3 bench/bench_ops_torch.py [--threads N]     (default: torch's own default thread count)
"""
import argparse
import math
import time

import torch


def median_us(f):
    f()
    inner = 1
    while True:
        start = time.perf_counter()
        for _ in range(inner):
            f()
        s = time.perf_counter() - start
        if s > 0.003:
            inner = max(1, int(inner * 0.03 / s))
            break
        inner *= 10
    t = []
    for _ in range(15):
        start = time.perf_counter()
        for _ in range(inner):
            f()
        t.append((time.perf_counter() - start) / inner * 1e6)
    return sorted(t)[len(t) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    a, g, e = torch.randn(768, 512), torch.randn(768, 512), torch.randn(32, 12, 64)
    gelu_bwd = torch.ops.aten.gelu_backward
    tanh_bwd = torch.ops.aten.tanh_backward
    with torch.no_grad():
        print(f"threads\t{torch.get_num_threads()}")
        print(f"gelu [768,512]\t{median_us(lambda: torch.nn.functional.gelu(a)):.2f}")
        print(f"gelu backward [768,512]\t{median_us(lambda: gelu_bwd(g, a)):.2f}")
        print(f"gelu tanh [768,512]\t{median_us(lambda: torch.nn.functional.gelu(a, approximate='tanh')):.2f}")
        print(f"tanh [32,12,64]\t{median_us(lambda: torch.tanh(e)):.2f}")
        print(f"tanh backward [32,12,64]\t{median_us(lambda: tanh_bwd(e, e)):.2f}")
        print(f"exp [768,512]\t{median_us(lambda: torch.exp(a)):.2f}")
        print(f"sigmoid [768,512]\t{median_us(lambda: torch.sigmoid(a)):.2f}")
    # The baby GPT's attention core, as bench/gpt_torch.py computes it (torch 1.13 has no fused attention).
    qkv, gy = torch.randn(12, 64, 384, requires_grad=True), torch.randn(12, 64, 128)
    mask = torch.ones(64, 64, dtype=torch.bool).tril()

    def attention():
        qkv.grad = None
        q, k, v = (t.view(12, 64, 4, 32).transpose(1, 2) for t in qkv.split(128, dim=2))
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(32)).masked_fill(~mask, float("-inf")).softmax(dim=-1)
        (att @ v).transpose(1, 2).contiguous().view(12, 64, 128).backward(gy)

    print(f"gpt attention fwd+bwd [12,64,384]\t{median_us(attention):.2f}")


if __name__ == "__main__":
    main()
