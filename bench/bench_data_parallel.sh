#!/usr/bin/env bash
# Benchmark: the same training run as 1 process x 2 threads and as 2 processes x 1 thread (data-parallel over MPI),
# alternated for a few rounds so both see the same machine load; prints the ms per iteration of each (the example's
# result line) and draws both loss curves on one plot (runs/bench_data_parallel/<example>_loss.svg).
#   bash bench/bench_data_parallel.sh gpt 2 --max-iters 200          # nanoGPT's baby GPT, 200 steps
#   bash bench/bench_data_parallel.sh data_parallel 3 --steps 200     # the character MLP
#   bash bench/bench_data_parallel.sh seq2seq 2 --steps 300 --beam 1  # the LSTM reversing digits (--model transformer)
# Needs ./build/examples/<example> and ./build/bench/bench_plot_losses.
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-gpt}"
rounds="${2:-2}"
shift $(( $# > 2 ? 2 : $# ))
bin="./build/examples/$example"
out="runs/bench_data_parallel"
mpirun_flags=(--allow-run-as-root --oversubscribe --mca btl self,vader)
losses="losses.tsv"
key="ms_per_iter"
[ "$example" = "gpt" ] && losses="ckpt.safetensors"
if [ "$example" = "seq2seq" ]; then
  key="ms_per_step"
  losses="losses_additive.tsv"
  for a in "$@"; do [ "$a" = "transformer" ] && losses="losses_transformer.tsv"; done
fi
field() { sed -n "s/.*[ :]$1=\([0-9.e+-]*\).*/\1/p" | tail -1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  a=$(OMP_NUM_THREADS=2 "$bin" --threads 2 --out "$out/${example}_1x2" "$@" 2>/dev/null | tail -1)
  b=$(OMP_NUM_THREADS=1 mpirun "${mpirun_flags[@]}" -np 2 "$bin" --threads 1 --out "$out/${example}_2x1" "$@" \
      2>/dev/null | tail -1)
  echo "round $r: ms/iter  1 process x 2 threads $(echo "$a" | field $key)," \
       "2 processes x 1 thread $(echo "$b" | field $key)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
./build/bench/bench_plot_losses "$out/${example}_loss.svg" "1 process x 2 threads=$out/${example}_1x2/$losses" \
  "2 processes x 1 thread=$out/${example}_2x1/$losses"
