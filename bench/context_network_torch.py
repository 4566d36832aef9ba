# PyTorch twin of examples/context_network (the tutorial's loop), for the side-by-side it/s in README.md.
#   /usr/bin/python3 bench/context_network_torch.py [--epochs 4] [--threads N]
# Prints the same `result:` keys: mse (mean over the last epoch), attention_correct, it_per_s.
import argparse
import time

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--samples", type=int, default=10000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
if args.threads > 0:
    torch.set_num_threads(args.threads)

TRUE_POSITION = {0: 2, 1: 7, 2: 3, 3: 5, 4: 1}


class ContextNetwork(nn.Module):
    def __init__(self, contexts=5, inputs=8):
        super().__init__()
        self.attention = nn.Embedding(contexts, inputs)
        self.fc = nn.Linear(inputs, 1)

    def forward(self, x, c):
        return self.fc(x * self.attention(c))


x = torch.rand(args.samples, 8)
c = torch.randint(0, 5, (args.samples,))
y = x[torch.arange(args.samples), torch.tensor([TRUE_POSITION[int(i)] for i in c])].unsqueeze(1)
net = ContextNetwork()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
seconds = 0.0
for epoch in range(args.epochs):
    total = 0.0
    start = time.perf_counter()
    for i in range(args.samples):
        loss = nn.functional.mse_loss(net(x[i:i + 1], c[i:i + 1]), y[i:i + 1])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    seconds += time.perf_counter() - start
    print(f"epoch {epoch + 1}/{args.epochs}: mean training MSE {total / args.samples:.3e}")
a = net.attention.weight.detach().abs()
a = a / a.sum(1, keepdim=True)
correct = sum(int(a[k].argmax()) == TRUE_POSITION[k] for k in range(5))
print(f"result: mse={total / args.samples:.4g} attention_correct={correct}/5 "
      f"it_per_s={int(args.epochs * args.samples / seconds)} train_seconds={seconds:.4g}")
