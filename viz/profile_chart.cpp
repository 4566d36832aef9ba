// The tape inspector's figure (see profile_chart.h).
#include "viz/profile_chart.h"

#include <fmt/format.h>

#include <algorithm>

namespace glimpse::viz {
namespace {

std::string bytes_label(double b) {
  if (b < 1024) return fmt::format("{:.0f} B", b);
  if (b < 1024 * 1024) return fmt::format("{:.1f} KiB", b / 1024);
  return fmt::format("{:.1f} MiB", b / (1024 * 1024));
}

}  // namespace

std::string profile_chart(const TapeProfile& profile, const ProfileChartOptions& options) {
  std::vector<OpSummary> rows = profile.by_op();
  if (rows.size() > options.max_ops && options.max_ops > 0) {
    OpSummary other{.name = fmt::format("other ({} ops)", rows.size() - options.max_ops + 1)};
    for (size_t i = options.max_ops - 1; i < rows.size(); ++i) {
      other.count += rows[i].count;
      other.forward_us += rows[i].forward_us;
      other.backward_us += rows[i].backward_us;
      other.kept_bytes += rows[i].kept_bytes;
    }
    rows.resize(options.max_ops - 1);
    rows.push_back(other);
  }

  const double label_w = 150, bar_w = 300, gap = 90, mem_w = 200, row_h = 22, top = 64, left = 10;
  const double height = top + row_h * static_cast<double>(std::max<size_t>(rows.size(), 1)) + 40;
  Svg svg(left + label_w + bar_w + gap + mem_w + 80, height);
  if (!options.title.empty()) svg.text(left, 22, options.title, {.size = 15, .bold = true});
  const double total = profile.forward_us + profile.backward_us;
  svg.text(left, 42, fmt::format("{} ops, forward {:.2f} ms + backward {:.2f} ms; peak tensor memory {}",
                                 profile.ops.size(), profile.forward_us / 1000, profile.backward_us / 1000,
                                 bytes_label(static_cast<double>(profile.peak_bytes))), {.size = 11, .color = "#555"});

  double max_time = 0, max_mem = 0;
  for (const OpSummary& r : rows) {
    max_time = std::max(max_time, r.forward_us + r.backward_us);
    max_mem = std::max(max_mem, static_cast<double>(r.kept_bytes));
  }
  const double x0 = left + label_w, m0 = x0 + bar_w + gap;
  svg.text(x0, top - 6, "time: forward + backward", {.size = 11, .color = kBlue});
  svg.text(m0, top - 6, "memory kept for backward", {.size = 11, .color = kGreen});
  for (size_t i = 0; i < rows.size(); ++i) {
    const OpSummary& r = rows[i];
    const double y = top + row_h * static_cast<double>(i);
    svg.text(x0 - 6, y + row_h / 2, fmt::format("{} ×{}", r.name, r.count),
             {.size = 11, .anchor = "end", .baseline = "middle"});
    const double wf = max_time > 0 ? bar_w * r.forward_us / max_time : 0;
    const double wb = max_time > 0 ? bar_w * r.backward_us / max_time : 0;
    svg.rect(x0, y + 3, wf, row_h - 6, kBlue, "none", 1.0, fmt::format("forward {:.1f} us", r.forward_us));
    svg.rect(x0 + wf, y + 3, wb, row_h - 6, kOrange, "none", 1.0, fmt::format("backward {:.1f} us", r.backward_us));
    const double ms = (r.forward_us + r.backward_us) / 1000;
    svg.text(x0 + wf + wb + 4, y + row_h / 2,
             fmt::format("{:.2f} ms ({:.0f}%)", ms, total > 0 ? 100 * (r.forward_us + r.backward_us) / total : 0.0),
             {.size = 10, .color = "#444", .baseline = "middle"});
    const double kept = static_cast<double>(std::max<int64_t>(r.kept_bytes, 0));
    const double wm = max_mem > 0 ? mem_w * kept / max_mem : 0;
    svg.rect(m0, y + 3, wm, row_h - 6, kGreen);
    svg.text(m0 + wm + 4, y + row_h / 2, bytes_label(kept), {.size = 10, .color = "#444", .baseline = "middle"});
  }
  const double legend_y = height - 16;
  svg.rect(x0, legend_y - 9, 12, 10, kBlue);
  svg.text(x0 + 16, legend_y, "forward", {.size = 11});
  svg.rect(x0 + 80, legend_y - 9, 12, 10, kOrange);
  svg.text(x0 + 96, legend_y, "backward", {.size = 11});
  return svg.str();
}

}  // namespace glimpse::viz
