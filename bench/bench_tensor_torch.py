"""The PyTorch side of bench_tensor.cpp: the same workloads, timed the same way, printed as the same table.

  - matmul float32 at 1024x1024x1024 and the GPT shapes (768x128 @ 128x384, 768x128 @ 128x512,
    768x512 @ (128x512)^T with the right operand a transposed view), in GFLOP/s, best of 41 samples of ~10 ms;
  - add of two 1M-element float32 tensors in GB/s (3 x 4 MiB of traffic), median of 15 samples of ~50 ms;
  - add of two 8-element tensors in ns per call (the per-op overhead, Python call included: that is how PyTorch is
    used), median of 15 samples.

Threads: both sides use every core. The C++ side runs OpenBLAS with its default thread count (one per core); here
torch.set_num_threads(os.cpu_count()) does the same for PyTorch's intra-op pool (Debian's torch otherwise starts with
one thread per *physical* core, which can be fewer).

Run:  /usr/bin/python3 bench/bench_tensor_torch.py                       (PyTorch numbers only)
      /usr/bin/python3 bench/bench_tensor_torch.py --glimpse BUILD/bench/bench_tensor
                                                        (also runs the C++ benchmark and prints glimpse / torch ratios)
"""
import argparse
import os
import subprocess
import time

import torch


def time_calls(f, calls):
    start = time.perf_counter()
    for _ in range(calls):
        f()
    return time.perf_counter() - start


def calibrate(f, target):
    """Calls per sample so that one sample takes about `target` seconds (after one warm-up call)."""
    f()
    calls = 1
    t = time_calls(f, calls)
    while t < target / 10:
        calls *= 10
        t = time_calls(f, calls)
    return max(1, int(calls * target / t))


def median_seconds(f, samples=15):
    calls = calibrate(f, 0.05)
    times = sorted(time_calls(f, calls) / calls for _ in range(samples))
    return times[len(times) // 2]


def best_seconds(f, samples=41):
    calls = calibrate(f, 0.01)
    return min(time_calls(f, calls) / calls for _ in range(samples))


def filled(*shape):
    return torch.rand(*shape, dtype=torch.float32) * 2 - 1


GEMMS = [  # (name, M, K, N, b transposed) exactly as in bench_tensor.cpp
    ("1024x1024 @ 1024x1024", 1024, 1024, 1024, False),
    ("768x128 @ 128x384", 768, 128, 384, False),
    ("768x128 @ 128x512", 768, 128, 512, False),
    ("768x512 @ (128x512)^T view", 768, 512, 128, True),
]


def run_torch():
    torch.manual_seed(0)
    gemm = {}
    with torch.no_grad():
        for name, m, k, n, transposed in GEMMS:
            a = filled(m, k)
            b = filled(n, k).t() if transposed else filled(k, n)  # .t() is a view, as on the C++ side
            seconds = best_seconds(lambda: torch.matmul(a, b))
            gemm[name] = 2.0 * m * n * k / seconds / 1e9

        n_big = 1 << 20
        x, y = filled(n_big), filled(n_big)
        add_gbs = 3 * 4 * n_big / median_seconds(lambda: torch.add(x, y)) / 1e9
        s, t = filled(8), filled(8)
        add_ns = median_seconds(lambda: torch.add(s, t)) * 1e9
    return gemm, add_gbs, add_ns


def run_glimpse(path):
    """Runs the C++ benchmark with --tsv and parses its lines."""
    out = subprocess.run([path, "--tsv"], check=True, capture_output=True, text=True).stdout
    gemm, values = {}, {}
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "gemm":
            gemm[fields[1]] = (float(fields[2]), float(fields[3]))
        else:
            values[fields[0]] = float(fields[1])
    return gemm, values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--glimpse", help="path to the bench_tensor binary, to print glimpse / torch ratios")
    parser.add_argument("--tsv", action="store_true", help="machine-readable lines, as bench_tensor --tsv (run_bench)")
    args = parser.parse_args()
    if args.tsv:  # for run_bench.py, which sets OMP_NUM_THREADS itself: torch's own default thread count
        gemm, add_gbs, add_ns = run_torch()
        for name, *_ in GEMMS:
            print(f"gemm\t{name}\t{gemm[name]:.3f}")
        print(f"add_1m_gbs\t{add_gbs:.3f}\nadd_8_ns\t{add_ns:.1f}")
        return

    threads = os.cpu_count()
    torch.set_num_threads(threads)
    g = run_glimpse(args.glimpse) if args.glimpse else None  # run first, alone, so the two never overlap
    gemm, add_gbs, add_ns = run_torch()

    print(f"torch {torch.__version__} benchmark ({torch.get_num_threads()} threads, {threads} hardware threads)\n")
    if g is None:
        print(f"{'matmul, float32':<30} {'torch GFLOP/s':>16}")
        print(f"{'':-<30} {'':->16}")
        for name, *_ in GEMMS:
            print(f"{name:<30} {gemm[name]:>16.1f}")
        print(f"\n{'elementwise / overhead':<30} {'torch':>16}")
        print(f"{'':-<30} {'':->16}")
        print(f"{'add, 1M float32 (3 x 4 MiB)':<30} {add_gbs:>11.2f} GB/s")
        print(f"{'add, 8 float32 (one op)':<30} {add_ns:>13.1f} ns")
    else:
        ggemm, gval = g
        print(f"{'matmul, float32':<30} {'glimpse GFLOP/s':>16} {'torch GFLOP/s':>16} {'glimpse/torch':>14}"
              f" {'glimpse/cblas':>14}")
        print(f"{'':-<30} {'':->16} {'':->16} {'':->14} {'':->14}")
        for name, *_ in GEMMS:
            ours, raw = ggemm[name]
            print(f"{name:<30} {ours:>16.1f} {gemm[name]:>16.1f} {ours / gemm[name]:>14.3f} {ours / raw:>14.3f}")
        print(f"\n{'elementwise / overhead':<30} {'glimpse':>16} {'torch':>16} {'glimpse/torch':>14}")
        print(f"{'':-<30} {'':->16} {'':->16} {'':->14}")
        gbs, ns = gval["add_1m_gbs"], gval["add_8_ns"]
        print(f"{'add, 1M float32 (GB/s)':<30} {gbs:>16.2f} {add_gbs:>16.2f} {gbs / add_gbs:>14.3f}")
        # For a time the speed ratio is the inverse: torch's ns over glimpse's ns.
        print(f"{'add, 8 float32 (ns per op)':<30} {ns:>16.1f} {add_ns:>16.1f} {add_ns / ns:>14.3f}")
        print(f"\nglimpse: {int(gval['threads'])} OpenBLAS threads. Every glimpse/torch ratio is a speed ratio: "
              "above 1, glimpse is faster.")
    print("\nGEMM: best of 41 samples; add: median of 15 samples.")


if __name__ == "__main__":
    main()
