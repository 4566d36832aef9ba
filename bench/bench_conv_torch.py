"""The PyTorch side of bench_conv.cpp: the same Conv2d workloads, timed the same way (median of 15 repeats of 10
calls, process CPU time), in ms.

Run: /usr/bin/python3 bench/bench_conv_torch.py   (needs Debian's python3-torch). Thread count: OMP_NUM_THREADS, or
every core, as glimpse.
"""
import os
import time

import torch


def median_ms(f, repeats=15, inner=10):
    f()
    t = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(inner):
            f()
        t.append((time.process_time() - start) * 1e3 / inner)
    t.sort()
    return t[len(t) // 2]


def conv_case(name, xshape, oc, k, stride, pad):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(xshape[1], oc, k, stride=stride, padding=pad)
    x = torch.randn(*xshape, requires_grad=True)

    def fwd():
        with torch.no_grad():
            conv(x)

    def both():
        y = conv(x)
        y.backward(torch.ones_like(y))

    print(f"{name:<44} forward {median_ms(fwd):8.3f} ms   forward+backward {median_ms(both):8.3f} ms")


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    print(f"torch conv benchmark, {torch.get_num_threads()} threads")
    conv_case("conv 1->16 3x3 pad 1, [64, 1, 28, 28]", (64, 1, 28, 28), 16, 3, 1, 1)
    conv_case("conv 16->32 3x3 pad 1, [64, 16, 14, 14]", (64, 16, 14, 14), 32, 3, 1, 1)
    conv_case("conv 1->16 3x3 stride 2, [32, 1, 48, 128]", (32, 1, 48, 128), 16, 3, 2, 1)
    conv_case("conv 32->64 3x3 pad 1, [32, 32, 6, 16]", (32, 32, 6, 16), 64, 3, 1, 1)


if __name__ == "__main__":
    main()
