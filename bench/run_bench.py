"""glimpse against PyTorch on named workloads, interleaved, with medians and ratios.

  python3 bench/run_bench.py                      every workload whose programs exist
  python3 bench/run_bench.py ops gpt --rounds 5   only these
  python3 bench/run_bench.py --list               the table
  python3 bench/run_bench.py gpt --threads-check  glimpse's default threads against one thread (run it beside a busy
                                                  loop, e.g. `yes > /dev/null &` twice, for the never-slower check)

Workloads (WORKLOADS below): matmul, ops, attention-memory, context-network, seq2seq-reverse, seq2seq-translate,
transformer-translate, gpt, vision-cnn, seq2seq-step, threads. Each glimpse side is the example itself with a short-run
flag (--steps, --max-steps, --max-iters, --epochs, --cnn-only) or a bench/ program, each PyTorch side its twin in
bench/*_torch.py. The examples also evaluate and draw after training, which the twins do not: compare their own
per-step figures (ms_per_step, it_per_s); wall and CPU seconds are the whole process's, and peak RSS the process's
high-water mark.

For each workload: one warm-up run of each side (also used to pick each side's best thread setting, below), then
--rounds rounds of glimpse, PyTorch, glimpse, PyTorch, ... (A B A B, so both sides see the same machine load). Each run
is its own process; the harness records its wall time, CPU time (user + system) and peak RSS from the kernel
(os.wait4 on the child) and the numbers the program prints itself: `result: key=value ...` lines and `name<TAB>value`
lines. It prints the median of each figure per side and glimpse/PyTorch.

Threads: in the warm-up each side runs twice (interleaved) in each of three settings: its default, one thread
(glimpse: GLIMPSE_NUM_THREADS=1 OMP_NUM_THREADS=1; PyTorch: OMP_NUM_THREADS=1 MKL_NUM_THREADS=1) and one per CPU
(the same variables set to os.cpu_count()). The fastest setting (by the workload's metric, else wall time; each by its
better run) is used for the rounds and printed. glimpse's default is one thread per free core (tensor/parallel.h);
PyTorch's is one per physical core as it counts them, which on some VMs is fewer than the CPUs (one of two on the
project machine on 2026-12-01), hence the third setting.

The PyTorch side is skipped with a message when `import torch` fails under --python (install it with
`GLIMPSE_WITH_TORCH=1 bash scripts/install_deps.sh`; it is never a dependency of glimpse). A workload whose glimpse
program is missing (not built, or on a branch not merged yet) is skipped with a message too.
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GEMMS = ["1024x1024 @ 1024x1024", "768x128 @ 128x384", "768x128 @ 128x512", "768x512 @ (128x512)^T view"]

# name: (glimpse command, PyTorch command or None, metrics to compare, what the metric means)
# {build} is the build folder, {py} the Python with torch, {root} the project root, {data} the shared data folder.
# A metric ending in "+" is higher-is-better (a rate), anything else lower-is-better (a time or a size).
WORKLOADS = {
    "matmul": ("{build}/bench/bench_tensor --tsv", "{py} {root}/bench/bench_tensor_torch.py --tsv",
               [f"{g} GFLOP/s+" for g in GEMMS] + ["add_1m_gbs+", "add_8_ns"],
               "GEMM GFLOP/s (best of 41), add of 1M floats GB/s, one 8-float add ns (bench_tensor)"),
    "ops": ("{build}/bench/bench_ops", "{py} {root}/bench/bench_ops_torch.py",
            ["gelu [768,512]", "gelu backward [768,512]", "tanh [32,12,64]", "exp [768,512]", "sigmoid [768,512]",
             "gpt attention fwd+bwd [12,64,384]"],
            "µs per call, median of 15 samples"),
    "attention-memory": ("{build}/bench/bench_attention_memory --T 4096 --mode flash",
                         "{py} {root}/bench/attention_memory_torch.py --T 4096",
                         ["attention_mb", "ms"], "MB and ms of one causal layer fwd + bwd, T 4096, B 1, 4 heads, d 32"),
    "context-network": ("{build}/examples/context_network --epochs 1 --out {tmp}/context_network",
                        "{py} {root}/bench/context_network_torch.py --epochs 1",
                        ["it_per_s+"], "Adam steps per second, 1 sample per step"),
    "seq2seq-reverse": ("{build}/examples/seq2seq --task reverse --steps 200 --beam 1 --out {tmp}/seq2seq",
                        "{py} {root}/bench/seq2seq_torch.py --task reverse --steps 200",
                        ["ms_per_step"], "ms per training step, LSTM + additive attention, B 32 (example: 200 steps "
                        "+ its evaluation; twin: 200 random batches of the same sizes)"),
    "seq2seq-translate": ("{build}/examples/seq2seq --task translate --max-steps 60 --beam 1 "
                          "--data {data}/eng-fra.tsv --out {tmp}/seq2seq_t",
                          "{py} {root}/bench/seq2seq_torch.py --task translate --steps 60",
                          ["ms_per_step"], "ms per training step, eng-fra protocol, B 64, LSTM 256 (example: 60 "
                          "steps + its TEST evaluation; twin: 60 random batches of the protocol's sizes)"),
    "transformer-translate": ("{build}/examples/seq2seq --model transformer --task translate --max-steps 60 --beam 1 "
                              "--data {data}/eng-fra.tsv --out {tmp}/transformer_t",
                              "{py} {root}/bench/transformer_torch.py --steps 60",
                              ["ms_per_step"], "ms per training step, Transformer d 128, 3 + 3 layers, B 64 (example: "
                              "60 steps + its TEST evaluation; twin: 60 random batches of the protocol's sizes)"),
    "gpt": ("{build}/examples/gpt --max-iters 50 --data {data}/tinyshakespeare.txt --out {tmp}/gpt",
            "{py} {root}/bench/gpt_torch.py --iters 50 --data {data}/tinyshakespeare.txt",
            ["ms_per_iter"], "ms per training iteration, baby GPT defaults"),
    "vision-cnn": ("{build}/examples/vision_attention --cnn-only --epochs 1 --data {data}/mnist --out {tmp}/vision",
                   "{py} {root}/bench/vision_cnn_torch.py --epochs 1 --data {data}/mnist",
                   ["cnn_ms_per_step", "cnn_cpu_ms_per_step", "cnn_accuracy+"],
                   "the MNIST CNN, one epoch of 8,000 digits, B 64, AdamW (vision_attention --cnn-only)"),
    "seq2seq-step": ("{build}/bench/bench_seq2seq", "{py} {root}/bench/seq2seq_torch.py",
                     ["reverse ms/step", "translate ms/step"], "ms per training step, both sizes, bench_seq2seq (the "
                     "step outside the example) and its twin"),
    "threads": ("{build}/bench/bench_threads", None, ["seq2seq-like ms", "gpt-block ms"],
                "glimpse alone: run it beside a busy loop to see the thread policy"),
}

NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def parse_output(text):
    """`result: k=v ...`, `name<TAB>value` and `<side> <name> (...): <x> ms/step` lines -> {name: float}."""
    values = {}
    for line in text.splitlines():
        step = re.match(r"^(?:glimpse|torch) (\w+)[^:]*: ([\d.]+) ms/step", line)
        if step:
            values[f"{step.group(1)} ms/step"] = float(step.group(2))
        elif line.startswith("gemm\t"):  # bench_tensor --tsv: gemm<TAB>name<TAB>GFLOP/s[<TAB>raw cblas GFLOP/s]
            fields = line.split("\t")
            values[f"{fields[1]} GFLOP/s"] = float(fields[2])
        elif line.startswith("result:"):
            for k, v in re.findall(r"(\S+?)=(\S+)", line[len("result:"):]):
                if NUMBER.match(v):
                    values[k] = float(v)
        elif "\t" in line:
            k, _, v = line.rpartition("\t")
            if NUMBER.match(v.strip()):
                values[k.strip()] = float(v)
    return values


def run_with_usage(cmd, env_extra):
    """Runs cmd; returns {wall_s, cpu_s, peak_rss_mb, ...printed figures} (CPU and RSS of the child from the kernel),
    or None if it failed."""
    env = dict(os.environ, **env_extra)
    start = time.perf_counter()
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(shlex.split(cmd), stdout=subprocess.PIPE, stderr=null, text=True, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"    failed (exit {os.waitstatus_to_exitcode(status)}): {cmd}")
        return None
    figures = parse_output(out)
    figures.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024)
    return figures


def score(figures, metrics):
    """One number to pick the faster thread setting with: the first metric (a rate counts negatively), else wall."""
    for m in metrics:
        key = m.rstrip("+")
        if key in figures:
            return -figures[key] if m.endswith("+") else figures[key]
    return figures["wall_s"]


# Every core as a third setting: PyTorch's default is one thread per *physical* core as its cpuinfo sees them, which on
# some VMs is 1 of 2 (measured here on 2026-12-01: torch.get_num_threads() == 1 on a 2-CPU VM where libgomp sees 2),
# so "default" alone could hide its two-thread speed.
CORES = str(os.cpu_count() or 1)
THREAD_SETTINGS = {
    "glimpse": [("default", {}), ("1 thread", {"GLIMPSE_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}),
                (CORES + " threads", {"GLIMPSE_NUM_THREADS": CORES, "OMP_NUM_THREADS": CORES})],
    "torch": [("default", {}), ("1 thread", {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}),
              (CORES + " threads", {"OMP_NUM_THREADS": CORES, "MKL_NUM_THREADS": CORES})],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workloads", nargs="*", help="names from --list (default: all that can run)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--python", default="/usr/bin/python3", help="the Python that has torch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"),
                        help="the shared data folder (eng-fra.tsv, tinyshakespeare.txt, mnist/); default "
                        "<project root>/../shared/data")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--threads-check", action="store_true",
                        help="glimpse with its default threads against glimpse on one thread (no PyTorch): run it "
                        "beside a busy loop to check the default is never slower")
    args = parser.parse_args()
    if args.list:
        for name, (g, t, metrics, what) in WORKLOADS.items():
            print(f"{name:<18} {what}\n{'':<18} glimpse: {g}\n{'':<18} torch:   {t or '-'}")
        return 0
    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    has_torch = subprocess.run([args.python, "-c", "import torch"], capture_output=True).returncode == 0
    if not has_torch:
        print(f"PyTorch is not installed for {args.python}: running the glimpse side only "
              "(GLIMPSE_WITH_TORCH=1 bash scripts/install_deps.sh installs it)")
    tmp = os.path.join("/tmp", f"glimpse_bench_{os.getpid()}")
    os.makedirs(tmp, exist_ok=True)
    fmt = dict(build=args.build, py=args.python, root=ROOT, tmp=tmp, data=args.data)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start; "
          f"{args.rounds} rounds after a warm-up, interleaved\n")
    for name in names:
        g_cmd, t_cmd, metrics, what = WORKLOADS[name]
        g_cmd = g_cmd.format(**fmt)
        exe = shlex.split(g_cmd)[0]
        print(f"== {name}: {what}")
        if not os.path.exists(exe):
            print(f"    skipped: {exe} does not exist (not built, or its branch is not merged yet)\n")
            continue
        if args.threads_check:
            chosen = compare_threads(g_cmd, metrics, args.rounds)
        else:
            chosen = against_torch(g_cmd, t_cmd and has_torch and t_cmd.format(**fmt), t_cmd is None, metrics,
                                   args.rounds)
        print_medians(chosen, metrics)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end. Ratios are first / second column of "
          "the medians: below 1 the first is faster or smaller, except for rates (it_per_s, GFLOP/s, GB/s, "
          "accuracy), where above 1 is faster.")
    return 0


def run_rounds(sides, rounds):
    """sides: {name: (cmd, env)} -> {name: [figures of each round]}, run A B A B ..."""
    results = {side: [] for side in sides}
    for _ in range(rounds):
        for side, (cmd, env) in sides.items():
            r = run_with_usage(cmd, env)
            if r is not None:
                results[side].append(r)
    return results


def compare_threads(g_cmd, metrics, rounds):
    """glimpse default threads against one thread, after one warm-up run of each -> {label: results}."""
    sides = {f"glimpse ({label})": (g_cmd, env) for label, env in THREAD_SETTINGS["glimpse"]}
    for cmd, env in sides.values():
        run_with_usage(cmd, env)
    return run_rounds(sides, rounds)


def against_torch(g_cmd, t_cmd, no_twin, metrics, rounds):
    """glimpse and its PyTorch twin, each in its best thread setting (picked in the warm-up) -> {label: results}."""
    sides = {"glimpse": g_cmd}
    if t_cmd:
        sides["torch"] = t_cmd
    elif no_twin:
        print("    no PyTorch twin for this workload: glimpse only")
    chosen = {}
    for side, cmd in sides.items():
        # Each setting twice, the settings interleaved, each judged by its better run: one run alone picked the wrong
        # setting on a noisy machine (a 25 % slower one, seen in the rounds that followed).
        scores = {}
        for _ in range(2):
            for label, env in THREAD_SETTINGS[side]:
                r = run_with_usage(cmd, env)
                if r is not None:
                    scores[label] = min(scores.get(label, score(r, metrics)), score(r, metrics))
        if not scores:
            print(f"    {side}: every warm-up run failed")
            continue
        label = min(scores, key=scores.get)
        chosen[side] = (label, dict(THREAD_SETTINGS[side])[label])
    return run_rounds({f"{side} ({label})": (sides[side], env) for side, (label, env) in chosen.items()}, rounds)


def print_medians(results, metrics):
    """The median of every figure per side, and the first side over the second."""
    sides = list(results)
    keys = [m.rstrip("+") for m in metrics] + ["wall_s", "cpu_s", "peak_rss_mb"]
    header = f"    {'figure':<36}" + "".join(f"{side:>24}" for side in sides)
    if len(sides) == 2:
        header += f"{'ratio':>10}"
    print(header)
    for key in keys:
        med = {}
        for side in sides:
            vals = [r[key] for r in results[side] if key in r]
            if vals:
                med[side] = statistics.median(vals)
        if not med:
            continue
        row = f"    {key:<36}" + "".join(f"{med[s]:>24.4g}" if s in med else f"{'-':>24}" for s in sides)
        if len(sides) == 2 and all(s in med for s in sides) and med[sides[1]] != 0:
            row += f"{med[sides[0]] / med[sides[1]]:>10.3f}"
        print(row)
    print()


if __name__ == "__main__":
    sys.exit(main())
