"""Peak memory of one causal attention layer (B 1, 4 heads, head size 32, float32, forward + backward) against T,
flash attention vs the plain path, and a line figure of it (SVG, log-log axes: a line of slope 1 is memory linear in
T, slope 2 quadratic).

Run:  python3 bench/attention_memory_sweep.py [--build build] [--out docs/attention_memory.svg] [--max-plain 8192]
Each point is its own process (bench_attention_memory): its whole peak resident memory (the inputs, their gradients
and ~7 MB of program included), so each peak is that run's alone.
"""
import argparse
import math
import os
import re
import subprocess

TS = [512, 1024, 2048, 4096, 8192]


def measure(binary, T, mode):
    out = subprocess.run([binary, "--T", str(T), "--mode", mode], check=True, capture_output=True, text=True).stdout
    fields = dict(re.findall(r"(\w+)=([\w.]+)", out.strip().splitlines()[-1]))
    return float(fields["peak_rss_mb"]), float(fields["ms"])


def svg(points, path):
    """points: {mode: [(T, mb)]} -> a log-log line plot written to path."""
    W, H, L, R, TOP, B = 560, 360, 70, 130, 30, 50
    xs = [t for p in points.values() for t, _ in p]
    ys = [max(m, 0.5) for p in points.values() for _, m in p]
    x0, x1 = math.log2(min(xs)), math.log2(max(xs))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    px = lambda t: L + (math.log2(t) - x0) / (x1 - x0) * (W - L - R)
    py = lambda m: TOP + (y1 - math.log10(max(m, 0.5))) / (y1 - y0) * (H - TOP - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="18" font-size="13">Peak memory (RSS) of one causal attention layer, forward + backward</text>']
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:g} MB</text>')
    for t in sorted(set(xs)):
        x = px(t)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{t}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">sequence length T (B 1, 4 heads, d 32)'
               '</text>')
    colours = {"flash": "#1f77b4", "plain": "#d62728"}
    for i, (mode, p) in enumerate(points.items()):
        c = colours.get(mode, "#333")
        pts = " ".join(f"{px(t):.1f},{py(m):.1f}" for t, m in p)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for t, m in p:
            out.append(f'<circle cx="{px(t):.1f}" cy="{py(m):.1f}" r="3" fill="{c}"><title>{mode} T={t}: {m:.1f} MB'
                       '</title></circle>')
        out.append(f'<text x="{W - R + 10}" y="{TOP + 20 + 18 * i}" fill="{c}">{mode}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--out", default="docs/attention_memory.svg")
    parser.add_argument("--max-plain", type=int, default=8192, help="largest T for the plain path (it needs ~4 GB at "
                        "8192)")
    args = parser.parse_args()
    binary = os.path.join(args.build, "bench", "bench_attention_memory")
    points = {"flash": [], "plain": []}
    print(f"{'T':>6} {'flash MB':>10} {'flash ms':>10} {'plain MB':>10} {'plain ms':>10}")
    for T in TS:
        fm, fms = measure(binary, T, "flash")
        points["flash"].append((T, fm))
        row = f"{T:>6} {fm:>10.1f} {fms:>10.1f}"
        if T <= args.max_plain:
            pm, pms = measure(binary, T, "plain")
            points["plain"].append((T, pm))
            row += f" {pm:>10.1f} {pms:>10.1f}"
        print(row, flush=True)
    svg(points, args.out)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
