// What a run shows: alignment heatmaps and attention flows for a few TEST sentences, the loss curves, the score
// against source length per attention, test_hyp.txt, and report.html with the comparison table.
#include <fmt/format.h>

#include <fstream>

#include "data/tokenizer.h"
#include "seq2seq_example.h"
#include "viz/attention_flow.h"
#include "viz/heatmap.h"
#include "viz/plots.h"
#include "viz/report.h"
#include "viz/svg.h"

namespace glimpse::seq2seq_example {
namespace {

std::vector<std::string> output_words(const data::Vocab& v, const models::Hypothesis& h) {
  std::vector<std::string> out;
  for (int64_t id : h.tokens) out.push_back(v.token(id));
  if (h.finished) out.push_back("<eos>");
  return out;
}

}  // namespace

// weights of every emitted token -> [T_out, S] tensor
Tensor weights_tensor(const models::Hypothesis& h) {
  const int64_t rows = static_cast<int64_t>(h.weights.size()), cols = rows ? static_cast<int64_t>(h.weights[0].size()) : 0;
  std::vector<float> flat;
  for (const auto& r : h.weights) flat.insert(flat.end(), r.begin(), r.end());
  return tensor(flat, {rows, cols});
}

// An alignment heatmap and an attention flow of one translation; returns the two SVGs.
std::pair<std::string, std::string> alignment_figures(const std::vector<std::string>& source, const data::Vocab& tgt,
                                                      const models::Hypothesis& h, const std::string& title) {
  const std::vector<std::string> out = output_words(tgt, h);
  const Tensor w = weights_tensor(h);
  std::string heat = viz::heatmap(w, {.title = title, .row_labels = out, .col_labels = source,
                                      .row_axis = "output word", .col_axis = "source word", .vmin = 0.0, .vmax = 1.0,
                                      .cell = 34});
  std::string flow = viz::attention_flow(w, source, out, {.title = title, .source_name = "source",
                                                          .target_name = "output"});
  return {heat, flow};
}

void write_figures_and_report(const Options& o, const run::Cli& cli, const Corpus& corpus, const models::Seq2Seq& model,
                              const std::vector<RunStats>& runs, const run::Result& result) {
  const bool reverse = o.task == "reverse";
  const RunStats* main_run = &runs.front();
  for (const auto& r : runs) {
    if (r.attention == model.options.attention) main_run = &r;
  }
  // test_hyp.txt: one line per TEST sentence in file order, tokens joined by one space, no <eos>.
  auto write_hyps = [&](const RunStats& r, const std::filesystem::path& path) {
    std::ofstream f(path);
    for (const auto& h : r.greedy) {
      std::vector<std::string> w;
      for (int64_t id : h.tokens) w.push_back(corpus.tgt_vocab.token(id));
      f << data::join_tokens(w) << '\n';
    }
  };
  std::filesystem::create_directories(cli.out);
  write_hyps(*main_run, cli.out / "test_hyp.txt");
  if (runs.size() > 1) {
    for (const auto& r : runs) write_hyps(r, cli.out / fmt::format("test_hyp_{}.txt", r.attention));
  }

  viz::Report report(reverse ? "Seq2seq with attention: reversing digit sequences"
                             : "Seq2seq with attention: English to French");
  report.text(reverse ? "An LSTM encoder-decoder learns to reverse sequences of 5-12 random digits; 500 held-out "
                        "sequences are never trained on. A good attention puts output word i on source word n-1-i: an "
                        "anti-diagonal."
                      : "An LSTM encoder-decoder with input feeding and attention, trained on Tatoeba English-French "
                        "pairs (every tenth line is TEST). BLEU-4 is corpus BLEU of greedy (and beam) decoding on TEST.")
      .command(cli.command())
      .metrics(result.items());

  // Alignments of a few TEST sentences (the longest of the first 200, where attention has most to do).
  if (!main_run->greedy.empty() && !main_run->greedy[0].weights.empty() && !main_run->greedy[0].weights[0].empty()) {
    std::vector<size_t> picks;
    for (size_t i = 0; i < corpus.test.size() && i < 200; ++i) picks.push_back(i);
    std::stable_sort(picks.begin(), picks.end(), [&](size_t a, size_t b) {
      return corpus.test[a].src.size() > corpus.test[b].src.size();
    });
    picks.resize(std::min<size_t>(picks.size(), 4));
    report.heading(fmt::format("Alignments ({} attention, greedy decoding)", main_run->attention));
    std::vector<std::pair<std::string, std::string>> grid;
    for (size_t k = 0; k < picks.size(); ++k) {
      const Pair& p = corpus.test[picks[k]];
      const auto [heat, flow] = alignment_figures(p.src_tokens, corpus.tgt_vocab, main_run->greedy[picks[k]],
                                                  fmt::format("TEST {}: {}", picks[k], data::join_tokens(p.src_tokens)));
      viz::save(cli.out / fmt::format("alignment_{}.svg", k), heat);
      viz::save(cli.out / fmt::format("flow_{}.svg", k), flow);
      grid.push_back({heat, "reference: " + data::join_tokens(p.tgt_tokens)});
      if (k == 0) report.figure(flow, "The same alignment as an attention flow");
    }
    report.figure_grid(grid);
  }

  // Loss curves.
  std::vector<viz::Series> losses;
  for (const auto& r : runs) {
    const std::string prefix = runs.size() > 1 ? r.attention + " " : "";
    losses.push_back({.name = prefix + "train", .y = r.train_loss, .x = r.loss_x});
    losses.push_back({.name = prefix + "test", .y = r.test_loss, .x = r.loss_x});
  }
  const std::string loss_svg = viz::line_plot(
      losses, {.title = reverse ? "Loss per 100 steps" : "Loss per epoch", .x_label = "optimizer step",
               .y_label = "cross-entropy per target token", .log_y = true});
  viz::save(cli.out / "loss.svg", loss_svg);
  report.heading("Training").figure(loss_svg, "Train (mean over the epoch) and TEST loss");

  // The score against source length, per attention: where the fixed context of "none" gives out.
  std::vector<viz::Series> by_len;
  for (const auto& r : runs) {
    viz::Series s{.name = r.attention};
    for (const auto& [len, v] : r.by_length) {
      s.x.push_back(static_cast<double>(len));
      s.y.push_back(v);
    }
    by_len.push_back(s);
  }
  const std::string metric = reverse ? "exact match" : "BLEU";
  const std::string len_svg = viz::line_plot(
      by_len, {.title = metric + " against source length (greedy, TEST)", .x_label = "source length (tokens)",
               .y_label = metric});
  viz::save(cli.out / "by_length.svg", len_svg);
  report.figure(len_svg, "Each point: the TEST sentences of one source length (at least 20 of them)");

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({r.attention, fmt::format("{:.2f}", r.bleu_greedy), fmt::format("{:.2f}", r.bleu_beam),
                    fmt::format("{:.4f}", r.exact_greedy), fmt::format("{:.4f}", r.exact_beam),
                    fmt::format("{:.4f}", r.val_loss), fmt::format("{:.1f}", r.ms_per_step),
                    fmt::format("{:.0f}", r.wall_seconds), std::to_string(r.params)});
  }
  report.heading("Results").table({"attention", "BLEU greedy", fmt::format("BLEU beam {}", o.beam), "exact greedy",
                                   "exact beam", "test loss", "ms/step", "wall s", "parameters"},
                                  rows, runs.size() > 1 ? "Every --attention choice, same data and seed" : "");
  report.save(cli.out / "report.html");
}

}  // namespace glimpse::seq2seq_example
