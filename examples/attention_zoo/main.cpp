// The attention zoo: every attention of the tutorials, side by side, on the same small queries, keys and values.
//
// The source "I love machine learning and artificial intelligence" gives the keys (= values), the target "J' aime l'
// apprentissage automatique" the queries (each made to resemble its aligned source word). Each variant prints its
// score formula and its weights as a table and writes one heatmap (<out>/<variant>.svg); flow.svg draws the
// additive attention as lines between the sentences; report.html shows every heatmap in a grid with a sentence on
// what the variant is for. The first tutorial's snippet (encoder outputs [5, 1, 16], hidden [1, 1, 16], additive
// attention -> weights [1, 5] summing to 1) is reproduced first.
//
//   ./build/examples/attention_zoo [--out runs/attention_zoo] [--train-steps 60]
#include <fmt/format.h>

#include <cmath>

#include "glimpse.h"
#include "run/cli.h"
#include "run/result.h"
#include "viz/attention_flow.h"
#include "viz/heatmap.h"
#include "viz/report.h"
#include "viz/svg.h"
#include "zoo.h"

using namespace glimpse;

namespace {

int run_zoo(const run::Cli& cli, int steps) {
  Tensor tutorial_weights;
  const std::string snippet = zoo::tutorial_snippet(tutorial_weights);
  fmt::print("== The first tutorial's snippet ==\n{}\n", snippet);

  const zoo::Inputs in = zoo::make_inputs();
  zoo::Training training;
  const std::vector<zoo::Entry> entries = zoo::build(in, steps, training);

  std::vector<std::pair<std::string, std::string>> grid;
  std::vector<std::vector<std::string>> overview;
  std::string tables;
  for (const zoo::Entry& e : entries) {
    const std::string table = zoo::text_table(e);
    fmt::print("== {} ==\n{}\nwhat for: {}\nweights ({}):\n{}\n", e.name, e.formula, e.purpose, e.note, table);
    tables += fmt::format("{}\n{}\n{}\n", e.name, e.formula, table);
    const bool self = e.rows == e.cols;
    const std::string svg = viz::heatmap(
        e.weights, {.title = e.name, .row_labels = e.rows, .col_labels = e.cols,
                    .row_axis = self ? "query (source token)" : "output token", .col_axis = "source token",
                    .vmin = 0.0, .vmax = 1.0, .cell = 38});
    viz::save(cli.out / (e.key + ".svg"), svg);
    grid.emplace_back(svg, fmt::format("{}: {} {}", e.formula, e.purpose, e.note.empty() ? "" : "(" + e.note + ")"));
    overview.push_back({e.name, e.formula, e.purpose, e.note});
  }

  // The attention flow of the trained additive attention, and how many queries each variant aligns correctly.
  const zoo::Entry& additive = entries.front();
  const std::string flow = viz::attention_flow(additive.weights, in.source, in.target,
                                               {.title = "Attention flow: additive (Bahdanau) attention, trained to align",
                                                .source_name = "English", .target_name = "French"});
  viz::save(cli.out / "flow.svg", flow);
  auto aligned = [&](const zoo::Entry& e) {
    int n = 0;
    const std::vector<double> w = e.weights.tolist();
    for (size_t i = 0; i < in.target.size(); ++i) {
      const auto row = w.begin() + static_cast<std::ptrdiff_t>(i * in.source.size());
      n += std::max_element(row, row + static_cast<std::ptrdiff_t>(in.source.size())) - row == in.alignment[i];
    }
    return n;
  };
  double tutorial_sum = 0;
  for (double w : tutorial_weights.tolist()) tutorial_sum += w;

  run::Result result;
  result.add("variants", static_cast<int64_t>(entries.size()))
      .add("tutorial_weights_shape", fmt::format("{}x{}", tutorial_weights.size(0), tutorial_weights.size(1)))
      .add("tutorial_weights_sum", fmt::format("{:.6f}", tutorial_sum))
      .add("dot_aligned", fmt::format("{}/{}", aligned(entries[1]), in.target.size()))
      .add("additive_aligned", fmt::format("{}/{}", aligned(additive), in.target.size()))
      .add("align_loss_first", training.first_loss / std::max(training.layers, 1))
      .add("align_loss_last", training.last_loss / std::max(training.layers, 1));

  viz::Report report("Attention zoo");
  report.text("Every attention glimpse has, on the same inputs: the keys and values are the source sentence \"I love "
              "machine learning and artificial intelligence\" (random 16-d vectors, one per word), the queries the "
              "target \"J' aime l' apprentissage automatique\", each made to resemble the source word it translates. "
              "Layers with parameters were trained briefly to put weight on that word; the others show their score "
              "as it is. Rows are queries, columns keys; each row sums to 1 (0 where masked).")
      .command(cli.command())
      .metrics(result.items())
      .heading("The first tutorial's snippet")
      .preformatted(snippet)
      .heading("All heatmaps")
      .figure_grid(grid)
      .heading("Attention flow")
      .figure(flow, "Each French word joined to the English words it attends to; thicker and darker = more weight.")
      .heading("What each variant is for")
      .table({"variant", "score", "what for", "weights"}, overview)
      .heading("The weights as text")
      .preformatted(tables);
  report.save(cli.out / "report.html");
  fmt::print("wrote {} heatmaps, flow.svg and report.html to {}\n", entries.size(), cli.out.string());
  result.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  run::Cli cli("attention_zoo",
               "Every attention variant glimpse has, side by side on the same sentence pair: formulas, weights, "
               "heatmaps, an attention-flow figure and an overview page.");
  int steps = 60;
  cli.add("--train-steps", steps, "Adam steps that align each layer with parameters")->check(run::non_negative());
  if (auto code = cli.parse(argc, argv)) return *code;
  if (cli.smoke) steps = std::min(steps, 30);
  return run::guarded(cli.name(), [&] { return run_zoo(cli, steps); });
}
