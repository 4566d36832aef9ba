// examples/gpt: a character-level GPT on tiny shakespeare, nanoGPT's CPU "baby GPT": train, checkpoint, resume,
// sample with a KV cache, and see every attention head.
//
//   ./build/examples/gpt                                   # 2000 steps, validation loss about 1.88 (as nanoGPT)
//   ./build/examples/gpt --max-iters 1000                  # stop early; ...
//   ./build/examples/gpt --max-iters 2000 --resume         # ... and continue, bit for bit as if never stopped
//   ./build/examples/gpt --sample --prompt "ROMEO:" --max-new-tokens 300 --temperature 0.8 --top-k 200
//   ./build/examples/gpt --init-from nanogpt.safetensors [--sample]   # start from weights PyTorch wrote (README)
//
// Flags are nanoGPT's settings (--n-layer or --n_layer, --learning-rate or --lr, ...); --help lists them with their
// defaults. Everything goes to --out (default runs/gpt): ckpt.safetensors, model.safetensors (the weights alone, as
// nanoGPT's state_dict, for PyTorch), loss.svg, attention/layer<l>_head<h>.svg,
// report.html; --sample writes under <out>/sample/. The last stdout line is
// `result: val_loss=... ms_per_iter=... tokens_per_s=...` (training) or the sampling speeds (--sample).
//
// Data-parallel on N processes, unchanged: `mpirun -np 2 ./build/examples/gpt --threads 1` (as root add
// --allow-run-as-root, on one machine --oversubscribe). --batch-size stays the global batch; each rank trains on
// batch_size / N rows of it and the ranks average their gradients (distributed/), so the run follows the one-process
// run; rank 0 alone prints, plots and writes the checkpoint, which resumes on any number of processes.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "distributed/comm.h"
#include "run/cli.h"
#include "settings.h"
#include "train.h"

using namespace gpt_example;

int main(int argc, char** argv) {
  glimpse::distributed::Session mpi(argc, argv);  // a world of one unless started by mpirun
  if (!glimpse::distributed::is_main()) std::freopen("/dev/null", "w", stdout);  // rank 0 speaks for every rank
  glimpse::run::Cli cli("gpt", "Trains nanoGPT's character-level baby GPT on tiny shakespeare (or --data), or samples "
                        "from its checkpoint (--sample).");
  Settings s;
  s.data = default_data_path(argc > 0 ? argv[0] : "");
  add_flags(cli, s);
  if (auto code = cli.parse(argc, argv)) return *code;
  if (s.resume && s.sample) {
    fmt::print(stderr, "gpt: error: --resume trains on and --sample only samples; pass one of them\n");
    return glimpse::run::kExitUsage;
  }
  if (s.resume && !s.init_from.empty()) {
    fmt::print(stderr, "gpt: error: --resume continues <out>/ckpt.safetensors and --init-from starts from another "
               "file; pass one of them\n");
    return glimpse::run::kExitUsage;
  }
  if ((!s.sample || !s.init_from.empty()) && s.data.empty()) {
    fmt::print(stderr, "gpt: error: no --data given and no shared/data/tinyshakespeare.txt found above the program "
               "or the current folder; pass --data FILE\n");
    return glimpse::run::kExitUsage;
  }
  if (cli.smoke) apply_smoke(cli, s);
  try {
    if (s.sample) return glimpse::distributed::is_main() ? sample(cli, s) : 0;
    return train(cli, s);
  } catch (const std::exception& e) {
    // Under mpirun the other ranks may be waiting in a collective for this one: abort stops them all.
    glimpse::distributed::abort(fmt::format("gpt: error: {}", e.what()), glimpse::run::kExitFailure);
  }
}
