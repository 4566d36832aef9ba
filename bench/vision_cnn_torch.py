"""The PyTorch twin of `examples/vision_attention --cnn-only` for bench/run_bench.py: the same small CNN
(models/mnist_cnn.h: conv 3x3 1->16, BatchNorm, ReLU, max-pool 2, conv 3x3 16->32, BatchNorm, ReLU, max-pool 2,
dropout 0.25, linear 32*49 -> 10), the same data (the first 8,000 digits of MNIST's test file train, the last 2,000
test), AdamW (lr 2e-3, weight decay 1e-4) under the same schedule (linear warm-up over a quarter epoch, cosine decay to
a tenth), batch 64, shuffled each epoch. Benchmark only: glimpse never depends on torch.

Run: /usr/bin/python3 bench/vision_cnn_torch.py [--epochs 1] [--data DIR] [--threads N]
Prints `result: cnn_accuracy=... cnn_ms_per_step=... cnn_cpu_ms_per_step=...` (the example's keys).
"""
import argparse
import gzip
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(folder):
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        images = torch.frombuffer(bytearray(f.read()[16:]), dtype=torch.uint8).float().div(255).view(-1, 1, 28, 28)
    with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = torch.frombuffer(bytearray(f.read()[8:]), dtype=torch.uint8).long()
    return images[:8000], labels[:8000], images[-2000:], labels[-2000:]


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(32 * 49, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)
        return self.fc(self.dropout(h).flatten(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y, tx, ty = load(args.data)
    model = MnistCnn()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    B, n = 64, x.size(0)
    steps = (n + B - 1) // B
    warm, total = steps // 4, args.epochs * steps

    def factor(s):  # glimpse's optim::CosineWithWarmup: linear warm-up, cosine down to a tenth of the peak
        if s < warm:
            return (s + 1) / (warm + 1)
        p = min(1.0, (s - warm) / (total - warm))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    model.train()
    train_s, start_cpu, count = 0.0, time.process_time(), 0
    for _ in range(args.epochs):
        order = torch.randperm(n)
        start = time.perf_counter()
        for b in range(0, n, B):
            idx = order[b:b + B]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss.item()
            count += 1
        train_s += time.perf_counter() - start
    cpu_s = time.process_time() - start_cpu
    model.eval()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"torch CNN: test accuracy {accuracy:.4f}, {1e3 * train_s / count:.1f} ms/step")
    print(f"result: cnn_accuracy={accuracy:.4f} cnn_ms_per_step={1e3 * train_s / count:.3f} "
          f"cnn_cpu_ms_per_step={1e3 * cpu_s / count:.3f}")


if __name__ == "__main__":
    main()
