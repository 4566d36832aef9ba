#!/usr/bin/env bash
# Benchmark: the same training run as 1 process x 2 threads and as 2 processes x 1 thread (data-parallel over MPI),
# alternated for a few rounds so both see the same machine load; prints ms per iteration of each, and draws both loss
# curves on one plot (runs/bench_data_parallel/two/loss.svg, via the example's --compare).
#   bash bench/bench_data_parallel.sh [example] [rounds] [extra flags for the example...]
#   bash bench/bench_data_parallel.sh data_parallel 3 --steps 200
# The example must accept --threads, --out, --compare, --label and print `result: ... ms_per_iter=...`.
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-data_parallel}"
rounds="${2:-3}"
shift $(( $# > 2 ? 2 : $# ))
bin="./build/examples/$example"
out="runs/bench_data_parallel"
mpirun_flags=(--allow-run-as-root --oversubscribe --mca btl self,vader)
ms() { sed -n 's/.*ms_per_iter=\([0-9.e+-]*\).*/\1/p'; }
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  a=$(OMP_NUM_THREADS=2 "$bin" --threads 2 --out "$out/one" --label "1 process x 2 threads" "$@" 2>/dev/null | ms)
  b=$(OMP_NUM_THREADS=1 mpirun "${mpirun_flags[@]}" -np 2 "$bin" --threads 1 --out "$out/two" \
      --label "2 processes x 1 thread" --compare "$out/one/losses.tsv" "$@" 2>/dev/null | ms)
  echo "round $r: 1 process x 2 threads ${a} ms/iter, 2 processes x 1 thread ${b} ms/iter"
done
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "both loss curves: $out/two/loss.svg"
