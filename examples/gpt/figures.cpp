// examples/gpt: loss curves and per-head attention heatmaps (viz/), written as SVG files.
#include "figures.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "viz/heatmap.h"
#include "viz/plots.h"
#include "viz/svg.h"

namespace gpt_example {

using namespace glimpse;

std::string loss_figure(const History& h) {
  std::vector<viz::Series> series;
  std::vector<double> steps(h.step_loss.size());
  for (size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<double>(i + 1);
  series.push_back({.name = "training batch", .y = h.step_loss, .x = steps});
  series.push_back({.name = "train (eval)", .y = h.eval_train, .x = h.eval_iter});
  series.push_back({.name = "validation (eval)", .y = h.eval_val, .x = h.eval_iter});
  return viz::line_plot(series, {.title = "Cross-entropy loss (nats per character)", .x_label = "step",
                                 .y_label = "loss"});
}

std::vector<int64_t> encode_flag(const data::CharVocab& vocab, const std::string& text, const char* flag) {
  try {
    return vocab.encode(text);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", flag, e.what()));
  }
}

namespace {
// A character as a heatmap label: the invisible ones made visible.
std::string label(char c) {
  if (c == '\n') return "\u23ce";  // ⏎
  if (c == ' ') return "\u2423";   // ␣
  return std::string(1, c);
}
}  // namespace

std::vector<std::pair<std::string, std::string>> attention_figures(models::GPT& model, const data::CharVocab& vocab,
                                                                   const std::string& text, const char* flag,
                                                                   const std::filesystem::path& dir) {
  const std::string shown = text.substr(0, static_cast<size_t>(model.config.block_size));
  std::vector<int64_t> ids = encode_flag(vocab, shown, flag);
  check(!ids.empty(), "{}: the text is empty; give a few characters to draw the attention over", flag);
  const int64_t T = static_cast<int64_t>(ids.size());
  std::vector<Tensor> attention;
  {
    NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    model.forward(tensor(ids, {1, T}), &attention);
    model.train(was_training);
  }
  std::vector<std::string> labels;
  for (char c : shown) labels.push_back(label(c));
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t l = 0; l < attention.size(); ++l) {
    const Tensor w = attention[l].to(kFloat64).contiguous();  // [1, nh, T, T]
    for (int64_t h = 0; h < w.size(1); ++h) {
      Tensor m = w.select(0, 0).select(0, h).clone();  // [T, T]
      double* p = m.data<double>();
      for (int64_t i = 0; i < T; ++i) {
        for (int64_t j = i + 1; j < T; ++j) p[i * T + j] = std::numeric_limits<double>::quiet_NaN();  // the future
      }
      const std::string svg = viz::heatmap(
          m, {.title = fmt::format("layer {}, head {}", l, h), .row_labels = labels, .col_labels = labels,
              .row_axis = "query (the character being predicted from)", .col_axis = "key (attended to)",
              .vmin = 0.0, .vmax = 1.0, .cell = 11, .values = false});
      viz::save(dir / "attention" / fmt::format("layer{}_head{}.svg", l, h), svg);
      out.emplace_back(svg, fmt::format("layer {}, head {}", l, h));
    }
  }
  return out;
}

}  // namespace gpt_example
