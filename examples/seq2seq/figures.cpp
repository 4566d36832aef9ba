// What a run shows: alignment heatmaps and attention flows for a few TEST sentences, the loss curves, the score
// against source length per attention, test_hyp.txt, and report.html with the comparison table.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

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

std::string write_by_length(const Options& o, const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, std::vector<LengthScore>>>& lines) {
  const std::string metric = o.task == "reverse" ? "exact match" : "BLEU";
  std::vector<viz::Series> series;
  std::filesystem::create_directories(dir);
  std::ofstream tsv(dir / "by_length.tsv");
  check(tsv.good(), "cannot write {}; check that --out is a writable folder", (dir / "by_length.tsv").string());
  tsv << "# greedy " << metric << " of the TEST sentences of each source length (lengths with enough sentences)\n"
      << "model\tsource_length\tsentences\t" << (o.task == "reverse" ? "exact_match" : "bleu") << '\n';
  for (const auto& [name, scores] : lines) {
    viz::Series s{.name = name};
    for (const LengthScore& l : scores) {
      s.x.push_back(static_cast<double>(l.length));
      s.y.push_back(l.score);
      tsv << fmt::format("{}\t{}\t{}\t{:.17g}\n", name, l.length, l.sentences, l.score);
    }
    series.push_back(std::move(s));
  }
  const std::string svg = viz::line_plot(
      series, {.title = metric + " against source length (greedy, TEST)", .x_label = "source length (tokens)",
               .y_label = metric});
  viz::save(dir / "by_length.svg", svg);
  return svg;
}

namespace {

// by_length.tsv back into (model, scores) lines, in file order.
std::vector<std::pair<std::string, std::vector<LengthScore>>> read_by_length(const std::filesystem::path& path) {
  std::ifstream f(path);
  std::vector<std::pair<std::string, std::vector<LengthScore>>> lines;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("model\t", 0) == 0) continue;
    std::istringstream row(line);
    std::string name;
    LengthScore l;
    check(static_cast<bool>(std::getline(row, name, '\t') >> l.length >> l.sentences >> l.score),
          "--replot: {}: cannot read the row '{}' (model, source length, sentences, score, tab-separated)",
          path.string(), line);
    if (lines.empty() || lines.back().first != name) lines.push_back({name, {}});
    lines.back().second.push_back(l);
  }
  return lines;
}

// A test_hyp file: one line per TEST sentence, tokens joined by one space (data::join_tokens).
std::vector<data::Sentence> read_hypotheses(const std::filesystem::path& path) {
  std::ifstream f(path);
  std::vector<data::Sentence> hyps;
  for (std::string line; std::getline(f, line);) {
    data::Sentence w;
    for (size_t at = 0; at < line.size();) {
      const size_t end = std::min(line.find(' ', at), line.size());
      w.push_back(line.substr(at, end - at));
      at = end + 1;
    }
    hyps.push_back(std::move(w));
  }
  return hyps;
}

}  // namespace

int replot_by_length(const Options& o, const run::Cli& cli) {
  // --compare's files in its order (every attention, then the Transformer), else a single run's test_hyp.txt, else
  // the numbers of an earlier by_length.tsv (a committed figure's, to redraw it after the plot code changed).
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  std::vector<std::string> names = models::attention_names();
  names.push_back("transformer");
  for (const std::string& n : names) {
    const auto path = cli.out / fmt::format("test_hyp_{}.txt", n);
    if (std::filesystem::exists(path)) files.push_back({n, path});
  }
  if (files.empty() && std::filesystem::exists(cli.out / "test_hyp.txt")) {
    files.push_back({o.model == "transformer" ? "transformer" : o.attention, cli.out / "test_hyp.txt"});
  }
  std::vector<std::pair<std::string, std::vector<LengthScore>>> lines;
  if (files.empty()) {
    check(std::filesystem::exists(cli.out / "by_length.tsv"), "--replot: {} has no test_hyp_<model>.txt, "
          "test_hyp.txt or by_length.tsv; give the --out of a finished run", cli.out.string());
    lines = read_by_length(cli.out / "by_length.tsv");
    check(!lines.empty(), "--replot: {} has no rows", (cli.out / "by_length.tsv").string());
    fmt::print("read {} models' scores from {}\n", lines.size(), (cli.out / "by_length.tsv").string());
  } else {
    const Corpus corpus = o.task == "reverse" ? make_reverse_corpus(o, cli.seed) : make_translate_corpus(o);
    for (const auto& [name, path] : files) {
      const std::vector<data::Sentence> hyps = read_hypotheses(path);
      check(hyps.size() == corpus.test.size(), "--replot: {} has {} lines for {} TEST sentences; replot with the "
            "--task, --data and --seed of the run that wrote it", path.string(), hyps.size(), corpus.test.size());
      const auto [bleu, exact] = bleu_and_exact(corpus, hyps);
      fmt::print("{}: BLEU greedy {:.2f}, exact match {:.4f} on {} TEST sentences ({})\n", name, bleu, exact,
                 hyps.size(), path.string());
      lines.push_back({name, scores_by_length(o, corpus, hyps)});
    }
  }
  write_by_length(o, cli.out, lines);
  fmt::print("wrote {}/by_length.svg and by_length.tsv\n", cli.out.string());
  run::Result result;
  result.add("task", o.task).add("models", static_cast<int64_t>(lines.size()))
      .add("lengths", static_cast<int64_t>(lines.front().second.size()));
  result.print();
  return 0;
}

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

  // The score against source length, per model: where the fixed context of "none" gives out.
  std::vector<std::pair<std::string, std::vector<LengthScore>>> by_len;
  for (const auto& r : runs) by_len.push_back({r.attention, r.by_length});
  report.figure(write_by_length(o, cli.out, by_len),
                "Each point: the TEST sentences of one source length (at least 20 of them)");

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
