#!/usr/bin/python3
"""Makes the PyTorch reference files for the convolution, pooling and batch-norm layers (tests/nn/test_conv2d.cpp and
friends), in the format of make_reference.py (whose run() it uses: parameters under PyTorch's names, "in.*", "out.*",
"w.*" the fixed weights of L = sum(out * w), "grad.*").

Run with Debian's python (it has python3-torch):   /usr/bin/python3 tests/nn/reference/make_vision_reference.py
"""
import os
import pathlib
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for the shared writer
from make_reference import HERE, run  # noqa: E402
from write_safetensors import save_safetensors  # noqa: E402


def main():
    # Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2): x [2, 4, 7, 5] -> [2, 6, 3, 8]
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)
    run("conv2d", conv, {"x": torch.randn(2, 4, 7, 5)}, lambda m, i: {"y": m(i["x"])})
    # Conv2d(3, 5, 3), no bias, odd sizes: x [1, 3, 6, 9] -> [1, 5, 4, 7]
    torch.manual_seed(1)
    run("conv2d_nobias", torch.nn.Conv2d(3, 5, 3, bias=False), {"x": torch.randn(1, 3, 6, 9)},
        lambda m, i: {"y": m(i["x"])})
    # MaxPool2d(3, stride=2, padding=1): x [2, 3, 7, 6] -> [2, 3, 4, 3]
    torch.manual_seed(2)
    run("max_pool2d", torch.nn.MaxPool2d(3, stride=2, padding=1), {"x": torch.randn(2, 3, 7, 6)},
        lambda m, i: {"y": m(i["x"])})
    # AvgPool2d(3, stride=2, padding=1) with and without count_include_pad: x [2, 3, 7, 6] -> [2, 3, 4, 3]
    torch.manual_seed(3)
    run("avg_pool2d", torch.nn.AvgPool2d(3, stride=2, padding=1), {"x": torch.randn(2, 3, 7, 6)},
        lambda m, i: {"y": m(i["x"])})
    torch.manual_seed(4)
    run("avg_pool2d_nopad", torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        {"x": torch.randn(2, 3, 7, 6)}, lambda m, i: {"y": m(i["x"])})
    # AdaptiveAvgPool2d((3, 4)) on 7x5: overlapping windows
    torch.manual_seed(5)
    run("adaptive_avg_pool2d", torch.nn.AdaptiveAvgPool2d((3, 4)), {"x": torch.randn(2, 3, 7, 5)},
        lambda m, i: {"y": m(i["x"])})
    # BatchNorm2d(3) in training mode: output, gradients, then the running statistics after two batches and the
    # eval-mode output on a third input.
    torch.manual_seed(6)
    bn = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(3))
        bn.bias.copy_(torch.randn(3))
    x1, x2, x3 = torch.randn(4, 3, 5, 2), torch.randn(4, 3, 5, 2) * 2 + 1, torch.randn(2, 3, 5, 2)
    run("batch_norm2d", bn, {"x": x1}, lambda m, i: {"y": m(i["x"])})
    bn(x2)
    bn.eval()
    stats = {
        "weight": bn.weight.detach(), "bias": bn.bias.detach(), "in.x1": x1, "in.x2": x2, "in.x3": x3,
        "running_mean": bn.running_mean, "running_var": bn.running_var, "out.eval": bn(x3).detach(),
    }
    save_safetensors(stats, os.path.join(HERE, "batch_norm2d_stats.safetensors"))


if __name__ == "__main__":
    main()
