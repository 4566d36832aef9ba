// data_parallel: data-parallel training over MPI on a small character-level MLP language model (Bengio et al. 2003,
// makemore's MLP) on tiny Shakespeare. The same program runs alone or as N processes:
//
//   ./build/examples/data_parallel --steps 300
//   mpirun --allow-run-as-root --oversubscribe -np 2 ./build/examples/data_parallel --steps 300 --threads 1
//
// Every rank builds the same global batch of --batch windows for each step (from a generator seeded by --seed and
// the step number, so a resumed run sees the same batches), trains on its share (batch / N rows), and the ranks
// average their gradients (distributed::DataParallel): the loss curve is that of one process with the whole batch.
// Only rank 0 prints, plots and saves. Checkpoints (model, optimizer, step) are the same on every rank, so one
// written by N ranks resumes on any number (--resume DIR).
//
// Data: --data FILE, default shared/data/tinyshakespeare.txt beside the project (data::shared_data_path).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/shared_data.h"
#include "distributed/data_parallel.h"
#include "glimpse.h"
#include "run/cli.h"
#include "run/progress.h"
#include "run/result.h"
#include "viz/plots.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;
namespace dist = glimpse::distributed;
namespace fs = std::filesystem;

namespace {

// idx: [B, T] int64 -> logits [B, V]: embed each of the T previous characters, concatenate, one tanh hidden layer.
class CharMLP : public nn::Module {
 public:
  CharMLP(int64_t vocab, int64_t context, int64_t embed, int64_t hidden)
      : Module("CharMLP"), wte(vocab, embed), fc1(context * embed, hidden), fc2(hidden, vocab) {
    register_module("wte", wte);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }
  // idx: [B, T] -> [B, V]
  Variable forward(const Tensor& idx) const {
    Variable e = wte.forward(idx);  // [B, T, E]
    return fc2.forward(tanh(fc1.forward(e.reshape({idx.size(0), -1}))));
  }
  nn::Embedding wte;
  nn::Linear fc1, fc2;
};

struct Corpus {
  std::vector<int64_t> ids;  // the text as character indices
  std::string chars;         // index -> character
};

Corpus read_corpus(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "cannot read --data {}: no such file; pass the path of a text file (the default is "
                   "shared/data/tinyshakespeare.txt beside the project)", path.string());
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  bool seen[256] = {};
  for (unsigned char c : text) seen[c] = true;
  Corpus corpus;
  int64_t index[256];
  for (int c = 0; c < 256; ++c) {
    if (seen[c]) {
      index[c] = static_cast<int64_t>(corpus.chars.size());
      corpus.chars.push_back(static_cast<char>(c));
    }
  }
  corpus.ids.reserve(text.size());
  for (unsigned char c : text) corpus.ids.push_back(index[c]);
  return corpus;
}

// The global batch of step `step`: `batch` random windows of `context` characters and the character after each.
// Seeded by (seed, step) so that every rank, and a resumed run, draws the same windows.
std::pair<Tensor, Tensor> global_batch(const Corpus& corpus, uint64_t seed, int64_t step, int64_t batch,
                                       int64_t context) {
  Generator gen(seed * 1000003u + static_cast<uint64_t>(step));
  const int64_t limit = static_cast<int64_t>(corpus.ids.size()) - context - 1;
  check(limit > 0, "the text has {} characters, fewer than --context {} + 1", corpus.ids.size(),
        context);
  Tensor starts = randint(0, limit, {batch}, gen);
  Tensor x = empty({batch, context}, kInt64), y = empty({batch}, kInt64);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t s = starts.data<int64_t>()[b];
    for (int64_t t = 0; t < context; ++t) x.data<int64_t>()[b * context + t] = corpus.ids[s + t];
    y.data<int64_t>()[b] = corpus.ids[s + context];
  }
  return {x, y};
}

// losses.tsv: "# <label>", "step<TAB>loss", then one line per step.
std::vector<double> read_losses(const fs::path& path, std::string& label) {
  std::ifstream in(path);
  check(in.good(), "cannot read --compare {}; pass the losses.tsv of an earlier run", path.string());
  std::vector<double> losses;
  std::string line;
  std::getline(in, line);
  label = line.size() > 2 ? line.substr(2) : path.string();
  std::getline(in, line);  // column names
  int64_t step;
  double loss;
  while (in >> step >> loss) losses.push_back(loss);
  return losses;
}

int train(run::Cli& cli, const fs::path& data, int64_t steps, int64_t batch, double lr, int64_t context,
          int64_t embed, int64_t hidden, const std::string& resume, const std::string& compare,
          const std::string& label) {
  const Corpus corpus = read_corpus(data);
  const int64_t vocab = static_cast<int64_t>(corpus.chars.size());
  CharMLP model(vocab, context, embed, hidden);
  optim::AdamW opt(model.parameters(), {.lr = lr});
  int64_t start_step = 0;
  if (!resume.empty()) {  // every rank reads the same files: rank 0 wrote them, and all ranks held the same state
    model.load((fs::path(resume) / "model.safetensors").string());
    opt.load((fs::path(resume) / "optimizer.safetensors").string());
    start_step = load_safetensors((fs::path(resume) / "trainer.safetensors").string()).at("step").item<int64_t>();
  }
  dist::DataParallel dp(model.parameters());  // rank 0's parameters everywhere
  const dist::Shard shard = dist::shard(batch);
  const bool main = dist::is_main();

  std::unique_ptr<run::ProgressBar> bar;
  if (main) bar = std::make_unique<run::ProgressBar>(run::ProgressOptions{.total = steps, .desc = label});
  std::vector<double> losses;
  double seconds = 0;
  for (int64_t step = start_step; step < start_step + steps; ++step) {
    auto t0 = std::chrono::steady_clock::now();
    auto [x, y] = global_batch(corpus, cli.seed, step, batch, context);
    Variable loss = cross_entropy(model.forward(x.narrow(0, shard.start, shard.length)),
                                  y.narrow(0, shard.start, shard.length));
    opt.zero_grad();
    loss.backward();
    dp.average_gradients();
    opt.step();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    losses.push_back(dist::mean_over_ranks(loss.item()));  // the whole batch's loss, on every rank
    if (bar) {
      bar->set_postfix("loss", losses.back());
      bar->update();
    }
  }
  if (bar) bar->close();
  const double ms_per_iter = 1e3 * seconds / static_cast<double>(steps);
  if (!main) return 0;  // the others stay silent: rank 0 holds the same model and the same losses

  fs::create_directories(cli.out);
  model.save((cli.out / "model.safetensors").string());
  opt.save((cli.out / "optimizer.safetensors").string());
  save_safetensors({.tensors = {{"step", scalar_tensor(static_cast<double>(start_step + steps), kInt64)}}},
                   (cli.out / "trainer.safetensors").string());
  {
    std::ofstream tsv(cli.out / "losses.tsv");
    tsv << "# " << label << "\nstep\tloss\n";
    for (size_t i = 0; i < losses.size(); ++i) tsv << start_step + static_cast<int64_t>(i) + 1 << '\t' << fmt::format("{:.9g}", losses[i]) << '\n';
  }
  std::vector<viz::Series> series{{.name = label, .y = losses}};
  double worst = 0;  // the largest relative difference from the --compare run, step by step
  if (!compare.empty()) {
    std::string other;
    series.push_back({.y = read_losses(compare, other)});
    series.back().name = other;
    const std::vector<double>& theirs = series.back().y;
    for (size_t i = 0; i < std::min(theirs.size(), losses.size()); ++i) {
      worst = std::max(worst, std::abs(losses[i] - theirs[i]) / std::abs(theirs[i]));
    }
  }
  const std::string plot = viz::line_plot(series, {.title = "training loss (whole batch)", .x_label = "step",
                                                   .y_label = "cross-entropy"});
  viz::save(cli.out / "loss.svg", plot);

  run::Result result;
  result.add("loss_first", losses.front()).add("loss_last", losses.back()).add("ranks", dist::world_size())
      .add("batch_per_rank", shard.length).add("ms_per_iter", ms_per_iter).add("steps", start_step + steps);
  if (!compare.empty()) result.add("max_rel_diff_vs_compare", worst);
  viz::Report report("Data-parallel training: character MLP on tiny Shakespeare");
  report.command(cli.command()).metrics(result.items()).figure(plot, "loss per step, mean over the whole batch"
                                                                      " (a --compare run with the same batches lies on top)");
  report.text(fmt::format("{} process(es) x batch {} = global batch {}; vocabulary {}, context {}, {} parameters.",
                          dist::world_size(), shard.length, batch, vocab, context, model.num_parameters()));
  report.save(cli.out / "report.html");
  result.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dist::Session mpi(argc, argv);
  run::Cli cli("data_parallel", "Data-parallel training of a character MLP language model; run it under mpirun -np N.");
  fs::path data = glimpse::data::shared_data_path(argc > 0 ? argv[0] : "", "tinyshakespeare.txt");
  int64_t steps = 300, batch = 64, context = 16, embed = 24, hidden = 512;
  double lr = 3e-3;
  std::string resume, compare, label;
  cli.add("--data", data, "the text to learn (default: shared/data/tinyshakespeare.txt beside the project)");
  cli.add("--steps", steps, "optimizer steps")->check(CLI::PositiveNumber);
  cli.add("--batch", batch, "global batch: windows per step over all processes (a multiple of mpirun -np)")
      ->check(CLI::PositiveNumber);
  cli.add("--lr", lr, "AdamW learning rate")->check(CLI::PositiveNumber);
  cli.add("--context", context, "characters the model sees")->check(CLI::PositiveNumber);
  cli.add("--embed", embed, "embedding width per character")->check(CLI::PositiveNumber);
  cli.add("--hidden", hidden, "hidden layer width")->check(CLI::PositiveNumber);
  cli.add("--resume", resume, "folder of an earlier run's checkpoint (any number of processes wrote it)");
  cli.add("--compare", compare, "losses.tsv of another run, drawn on the same loss plot");
  cli.add("--label", label, "name of this run in the plot (default: <N> proc x <threads> thr)");
  // Only rank 0 writes to stdout (--help, the result line); every rank parses, so all exit with the same code.
  if (!dist::is_main()) std::freopen("/dev/null", "w", stdout);
  if (auto code = cli.parse(argc, argv)) return *code;
  if (cli.smoke) {
    steps = std::min<int64_t>(steps, 20);
    hidden = std::min<int64_t>(hidden, 64);
  }
  if (label.empty()) label = fmt::format("{} proc x {} thr", dist::world_size(), get_num_threads());
  try {
    return train(cli, data, steps, batch, lr, context, embed, hidden, resume, compare, label);
  } catch (const std::exception& e) {
    dist::abort(fmt::format("data_parallel: error: {}", e.what()), run::kExitFailure);
  }
}
