"""The PyTorch side of bench_autograd.cpp: the same workloads, timed the same way (median of 15 repeats), in µs.

Run: /usr/bin/python3 bench/bench_autograd_torch.py   (needs Debian's python3-torch)
"""
import os
import time

import torch


def median_us(f, inner, repeats=15):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            f()
        times.append((time.perf_counter() - start) / inner * 1e6)
    times.sort()
    return times[len(times) // 2]


def main():
    # Every core, as glimpse uses (Debian's torch otherwise starts with one thread per physical core, here 1). The
    # small workloads are below PyTorch's parallel grain either way.
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    a = torch.randn(8, requires_grad=True)
    b = torch.randn(8, requires_grad=True)
    ad, bd = a.detach(), b.detach()
    plain_us = median_us(lambda: ad + bd, 20000)
    record_us = median_us(lambda: a + b, 20000)
    record_mul_us = median_us(lambda: a * b, 20000)
    record_mul_us = median_us(lambda: a * b, 20000)

    x = torch.randn(1, 64)
    w1 = (torch.randn(64, 128) * 0.1).requires_grad_()
    b1 = torch.zeros(128, requires_grad=True)
    w2 = (torch.randn(128, 10) * 0.1).requires_grad_()
    b2 = torch.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]

    def mlp():
        h = torch.tanh(x @ w1 + b1)
        loss = ((h @ w2 + b2) ** 2).sum()
        loss.backward()
        for p in params:
            p.grad = None

    mlp_us = median_us(mlp, 2000)

    xb = torch.randn(512, 384)
    fw1 = (torch.randn(384, 1536) * 0.05).requires_grad_()
    fb1 = torch.zeros(1536, requires_grad=True)
    fw2 = (torch.randn(1536, 384) * 0.05).requires_grad_()
    fb2 = torch.zeros(384, requires_grad=True)
    gamma = torch.ones(384, requires_grad=True)
    beta = torch.zeros(384, requires_grad=True)
    block_params = [fw1, fb1, fw2, fb2, gamma, beta]

    def block():
        h = xb + (torch.nn.functional.gelu(xb @ fw1 + fb1) @ fw2 + fb2)
        loss = torch.nn.functional.layer_norm(h, (384,), gamma, beta).square().mean()
        loss.backward()
        for p in block_params:
            p.grad = None

    block_us = median_us(block, 10)
    print(f"{'workload':<58} {'µs':>10}")
    print(f"{'tensor add, 8 elements (no autograd)':<58} {plain_us:>10.3f}")
    print(f"{'record one op: Variable add, 8 elements':<58} {record_us:>10.3f}")
    print(f"{'record one op: Variable mul, 8 elements (saves a and b)':<58} {record_mul_us:>10.3f}")
    print(f"{'MLP 64-128-10, batch 1: forward + backward + zero_grad':<58} {mlp_us:>10.3f}")
    print(f"{'GPT MLP block, 512 tokens x 384: forward + backward':<58} {block_us:>10.1f}")
    print(f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
