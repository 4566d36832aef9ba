// The SVG writer, colour scales and tick placement shared by every plot.
#include "viz/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "tensor/error.h"

namespace glimpse::viz {

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void save(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  check(!ec, "viz::save: cannot create the folder '{}': {}", path.parent_path().string(), ec.message());
  std::ofstream file(path, std::ios::binary);
  check(file.good(), "viz::save: cannot open '{}' for writing: {}", path.string(), std::strerror(errno));
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  check(file.good(), "viz::save: writing '{}' failed: {}", path.string(), std::strerror(errno));
}

Svg::Svg(double width, double height) : width_(width), height_(height) {}

void Svg::rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke, double opacity,
               std::string_view tooltip) {
  body_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="{}")", x, y,
                       w, h, fill, stroke);
  if (opacity < 1.0) body_ += fmt::format(R"( fill-opacity="{:.3f}")", opacity);
  if (tooltip.empty()) {
    body_ += "/>\n";
  } else {
    body_ += fmt::format("><title>{}</title></rect>\n", escape_xml(tooltip));
  }
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width, double opacity,
               bool dashed) {
  body_ += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{:.2f}")",
                       x1, y1, x2, y2, stroke, width);
  if (opacity < 1.0) body_ += fmt::format(R"( stroke-opacity="{:.3f}")", opacity);
  if (dashed) body_ += R"( stroke-dasharray="4 3")";
  body_ += "/>\n";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width) {
  if (points.empty()) return;
  std::string coords;
  for (const auto& [x, y] : points) coords += fmt::format("{:.1f},{:.1f} ", x, y);
  coords.pop_back();
  body_ += fmt::format(
      R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="{:.2f}" stroke-linejoin="round"/>)", coords,
      stroke, width);
  body_ += '\n';
}

void Svg::circle(double cx, double cy, double r, std::string_view fill) {
  body_ += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{:.1f}" fill="{}"/>)", cx, cy, r, fill);
  body_ += '\n';
}

void Svg::text(double x, double y, std::string_view text, const TextStyle& style) {
  body_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="{:.1f}" fill="{}")", x, y, style.size, style.color);
  if (style.anchor != "start") body_ += fmt::format(R"( text-anchor="{}")", style.anchor);
  if (style.bold) body_ += R"( font-weight="bold")";
  if (style.baseline != "auto") body_ += fmt::format(R"( dominant-baseline="{}")", style.baseline);
  if (style.rotate != 0) body_ += fmt::format(R"svg( transform="rotate({:.1f} {:.1f} {:.1f})")svg", style.rotate, x, y);
  body_ += fmt::format(">{}</text>\n", escape_xml(text));
}

void Svg::vertical_curve(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                         double opacity, std::string_view tooltip) {
  const double my = (y1 + y2) / 2;
  body_ += fmt::format(
      R"(<path d="M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" fill="none" stroke="{}" )"
      R"(stroke-width="{:.2f}" stroke-opacity="{:.3f}" stroke-linecap="round")",
      x1, y1, x1, my, x2, my, x2, y2, stroke, width, opacity);
  if (tooltip.empty()) {
    body_ += "/>\n";
  } else {
    body_ += fmt::format("><title>{}</title></path>\n", escape_xml(tooltip));
  }
}

std::string Svg::str() const {
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" viewBox="0 0 {:.0f} {:.0f}" )"
      R"(font-family="DejaVu Sans, Helvetica, Arial, sans-serif">)"
      "\n"
      R"(<rect x="0" y="0" width="{:.0f}" height="{:.0f}" fill="white"/>)"
      "\n{}</svg>\n",
      width_, height_, width_, height_, width_, height_, body_);
}

double text_width(std::string_view text, double size) {
  // Average advance of DejaVu Sans / Helvetica is about 0.6 em; count code points, not UTF-8 bytes.
  double n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) n += 1;
  }
  return n * size * 0.6;
}

std::string Rgb::hex() const {
  auto byte = [](double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b));
}

Rgb viridis(double t) {
  // Nine samples of matplotlib's viridis (perceptually uniform, readable in grey), linearly interpolated.
  static constexpr std::array<std::array<double, 3>, 9> kStops = {{{0.267, 0.005, 0.329},
                                                                   {0.279, 0.175, 0.483},
                                                                   {0.230, 0.322, 0.546},
                                                                   {0.173, 0.449, 0.558},
                                                                   {0.128, 0.567, 0.551},
                                                                   {0.153, 0.683, 0.502},
                                                                   {0.361, 0.787, 0.388},
                                                                   {0.668, 0.865, 0.183},
                                                                   {0.993, 0.906, 0.144}}};
  if (!std::isfinite(t)) t = 0;
  const double s = std::clamp(t, 0.0, 1.0) * (kStops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(s), kStops.size() - 2);
  const double f = s - static_cast<double>(i);
  auto mix = [&](int c) { return kStops[i][c] * (1 - f) + kStops[i + 1][c] * f; };
  return {mix(0), mix(1), mix(2)};
}

std::string text_color_on(const Rgb& background) {
  const double luminance = 0.2126 * background.r + 0.7152 * background.g + 0.0722 * background.b;
  return luminance > 0.45 ? "#111" : "#fff";
}

const std::string& palette(size_t i) {
  static const std::array<std::string, 8> kColors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  return kColors[i % kColors.size()];
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-300) return {lo};
  const double raw = (hi - lo) / std::max(count, 1);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / p;
  const double step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  std::vector<double> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    ticks.push_back(std::fabs(k) < 1e-12 ? 0.0 : k * step);  // no "-0"
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  const double a = std::fabs(value);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.0e}", value);
  const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace glimpse::viz
