#!/usr/bin/env python3
# The on-paper scaling model of the README's data-parallel section: for each example model, the gradient bytes an
# all-reduce moves per step, the ring all-reduce time on N machines, and the number of machines at which it would
# stop scaling. No dependencies:  python3 bench/scaling_model.py
#
# Ring all-reduce of S bytes on N machines: 2(N-1) steps, each moving S/N bytes per link and paying one latency:
#     c(N) = 2(N-1)/N * S / B + 2(N-1) * alpha
# Strong scaling (the global batch fixed, as DataParallel keeps the one-process trajectory): a step on N machines
# computes T1/N and then all-reduces (no overlap: bench_allreduce measured none on this machine). We say a model
# stops scaling at the first N where communication takes as long as computation, c(N) >= T1/N: past it each step
# spends more time talking than computing (parallel efficiency under 50%), and the speedup soon peaks.
#
# T1, one machine's step, is estimated from FLOPs: 6 x parameters x rows (forward + backward), plus for the GPT the
# attention term of nanoGPT's estimate (12 x layers x n_embd x block per token), at an assumed sustained rate of
# 100 GFLOP/s per machine (half the 200 GFLOP/s GEMM peak bench_tensor measured on this 2-core VM: small shapes and
# the elementwise work run slower). Replace FLOP_RATE with your machines' measured rate.
FLOP_RATE = 100e9
NETWORKS = [("10 Gb/s Ethernet (TCP)", 10e9 / 8, 20e-6), ("100 Gb/s (RDMA)", 100e9 / 8, 5e-6)]

# name, parameters, rows per global batch (tokens for the GPT), extra FLOPs per row
MODELS = [
    ("gpt baby (4 layers, n_embd 128, batch 12 x 64)", 804_096, 12 * 64, 12 * 4 * 128 * 64),
    ("data_parallel char MLP (context 16, hidden 512, batch 64)", 232_025, 64, 0),
    ("context_network (5 contexts x 8 inputs, 1 sample a step)", 5 * 8 + 8 + 1, 1, 0),
    # seq2seq: rows are target tokens (batch x about 8 for translate, x about 9.5 digits + <eos> for reverse); the
    # parameter count is the measured num_parameters() (LSTM with dot attention; additive adds 2 x 256 x 256 + 256)
    ("seq2seq translate, LSTM 256 + dot attention (batch 64)", 5_607_233, 64 * 8, 0),
    ("seq2seq translate, Transformer 3+3 layers d 128 (batch 64)", 2_633_025, 64 * 8, 0),
    ("seq2seq reverse, LSTM 64 + additive (batch 32)", 77_582, 32 * 10, 0),
]


def comm(n, size, bandwidth, alpha):
    return 2 * (n - 1) / n * size / bandwidth + 2 * (n - 1) * alpha


def stop(t1, size, bandwidth, alpha):
    for n in range(2, 100_000):
        if comm(n, size, bandwidth, alpha) >= t1 / n:
            return n
    return None


print("comm >= compute from N machines on:")
print(f"{'model':58} {'grad MB':>8} {'T1 ms':>8}  " + "  ".join(f"{name:>24}" for name, _, _ in NETWORKS))
for name, params, rows, extra in MODELS:
    size = 4 * params
    t1 = (6 * params + extra) * rows / FLOP_RATE
    cells = []
    for _, bandwidth, alpha in NETWORKS:
        n = stop(t1, size, bandwidth, alpha)
        cells.append(f"N={n} (c(2)={comm(2, size, bandwidth, alpha) * 1e3:.3f} ms)")
    print(f"{name:58} {size / 1e6:8.3f} {t1 * 1e3:8.3f}  " + "  ".join(f"{c:>24}" for c in cells))
