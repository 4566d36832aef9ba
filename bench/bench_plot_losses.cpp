// The plotting step of bench/bench_data_parallel.sh: several runs' per-step training losses on one line plot.
//   ./build/bench/bench_plot_losses OUT.svg "label=runs/x/ckpt.safetensors" "label=runs/y/losses.tsv" ...
// A .safetensors file is a gpt checkpoint (its history.step_loss); anything else is a data_parallel losses.tsv ("#"
// lines and the column names skipped). Prints the largest relative difference of each run from the first.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "tensor/safetensors.h"
#include "viz/plots.h"
#include "viz/svg.h"

using namespace glimpse;

namespace {

std::vector<double> read_losses(const std::string& path) {
  if (path.ends_with(".safetensors")) return load_safetensors(path).at("history.step_loss").tolist();
  std::ifstream in(path);
  check(in.good(), "bench_plot_losses: cannot read {}", path);
  std::vector<double> losses;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.starts_with("step")) continue;
    losses.push_back(std::stod(line.substr(line.find('\t') + 1)));
  }
  return losses;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} OUT.svg label=FILE [label=FILE ...]\n", argv[0]);
    return 2;
  }
  try {
    std::vector<viz::Series> series;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto eq = arg.find('=');
      check(eq != std::string::npos, "bench_plot_losses: expected label=FILE, got {}", arg);
      series.push_back({.name = arg.substr(0, eq), .y = read_losses(arg.substr(eq + 1))});
    }
    for (size_t k = 1; k < series.size(); ++k) {
      double worst = 0;
      const size_t n = std::min(series[0].y.size(), series[k].y.size());
      for (size_t i = 0; i < n; ++i) {
        worst = std::max(worst, std::abs(series[k].y[i] - series[0].y[i]) / std::abs(series[0].y[i]));
      }
      fmt::print("{} vs {}: {} steps, largest relative loss difference {:.3g}\n", series[k].name, series[0].name, n,
                 worst);
    }
    viz::save(argv[1], viz::line_plot(series, {.title = "training loss per step (whole batch)", .x_label = "step",
                                               .y_label = "cross-entropy"}));
    fmt::print("wrote {}\n", argv[1]);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  return 0;
}
