// Attention flow: tokens in two rows of boxes, links drawn weakest first so that the strong ones stay on top.
#include "viz/attention_flow.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "tensor/error.h"
#include "viz/svg.h"

namespace glimpse::viz {

namespace {

// x centres of boxes laid out left to right, each as wide as its token, spread to `width` when they are narrower.
std::vector<double> centres(const std::vector<double>& widths, double left, double width) {
  double total = 0;
  for (double w : widths) total += w;
  const double gap = widths.size() > 1 ? std::max(10.0, (width - total) / (widths.size() - 1)) : 0;
  const double used = total + gap * (widths.size() > 1 ? widths.size() - 1 : 0);
  double x = left + std::max(0.0, (width - used) / 2);
  std::vector<double> c;
  for (double w : widths) {
    c.push_back(x + w / 2);
    x += w + gap;
  }
  return c;
}

}  // namespace

// weights: [T_out, T_in] -> SVG
std::string attention_flow(const Tensor& weights, const std::vector<std::string>& src,
                           const std::vector<std::string>& tgt, const AttentionFlowOptions& o) {
  check(weights.dim() == 2, "viz::attention_flow: weights must be 2-D [T_out, T_in], got {}-D", weights.dim());
  const size_t t_out = static_cast<size_t>(weights.size(0)), t_in = static_cast<size_t>(weights.size(1));
  check(src.size() == t_in && tgt.size() == t_out,
        "viz::attention_flow: weights [{}, {}] need {} source and {} target tokens, got {} and {}", t_out, t_in, t_in,
        t_out, src.size(), tgt.size());
  const std::vector<double> w = weights.tolist();
  const double size = 14, box_h = 28, pad = 12;
  auto box_widths = [&](const std::vector<std::string>& tokens) {
    std::vector<double> ws;
    for (const auto& t : tokens) ws.push_back(std::max(30.0, text_width(t, size) + 2 * pad));
    return ws;
  };
  const std::vector<double> ws = box_widths(src), wt = box_widths(tgt);
  auto row_width = [](const std::vector<double>& ws) {
    double s = 0;
    for (double x : ws) s += x + 10;
    return s;
  };
  const double label_w = std::max(text_width(o.source_name, 12), text_width(o.target_name, 12)) + 20;
  const double inner = std::max({row_width(ws), row_width(wt), 360.0});
  const double width = label_w + inner + 30;
  const double title_h = o.title.empty() ? 14 : 40;
  const double y_src = title_h, y_tgt = title_h + box_h + 170;
  const double height = y_tgt + box_h + 20;
  const std::vector<double> cs = centres(ws, label_w + 10, inner), ct = centres(wt, label_w + 10, inner);

  Svg svg(width, height);
  if (!o.title.empty()) svg.text(12, 24, o.title, {.size = 15, .bold = true});
  svg.text(12, y_src + box_h / 2, o.source_name, {.size = 12, .color = "#555", .baseline = "middle"});
  svg.text(12, y_tgt + box_h / 2, o.target_name, {.size = 12, .color = "#555", .baseline = "middle"});
  // Links, weakest first.
  std::vector<std::tuple<double, size_t, size_t>> links;
  for (size_t i = 0; i < t_out; ++i) {
    for (size_t j = 0; j < t_in; ++j) {
      const double a = w[i * t_in + j];
      if (std::isfinite(a) && a >= o.min_weight) links.emplace_back(std::min(a, 1.0), i, j);
    }
  }
  std::sort(links.begin(), links.end());
  for (const auto& [a, i, j] : links) {
    svg.vertical_curve(cs[j], y_src + box_h, ct[i], y_tgt, kBlue, 0.6 + o.max_stroke * a, 0.15 + 0.85 * a,
                       fmt::format("{} -> {}: {:.3f}", src[j], tgt[i], a));
  }
  auto boxes = [&](const std::vector<std::string>& tokens, const std::vector<double>& widths,
                   const std::vector<double>& c, double y, const std::string& fill) {
    for (size_t k = 0; k < tokens.size(); ++k) {
      svg.rect(c[k] - widths[k] / 2, y, widths[k], box_h, fill, "#666");
      svg.text(c[k], y + box_h / 2, tokens[k], {.size = size, .anchor = "middle", .baseline = "middle"});
    }
  };
  boxes(src, ws, cs, y_src, "#eef3fb");
  boxes(tgt, wt, ct, y_tgt, "#fdf0e3");
  return svg.str();
}

}  // namespace glimpse::viz
