// image_overlay: one composited PNG per panel, laid out in a grid with titles, boxes and peak marks.
#include "viz/image_overlay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "viz/png.h"
#include "viz/svg.h"

namespace glimpse::viz {
namespace {

// The heat at image pixel (y, x): bilinear in the heat grid, whose cells are centred on equal slices of the image.
double heat_at(const OverlayPanel& p, double y, double x) {
  const double gy = std::clamp((y + 0.5) * p.heat_height / p.height - 0.5, 0.0, p.heat_height - 1.0);
  const double gx = std::clamp((x + 0.5) * p.heat_width / p.width - 0.5, 0.0, p.heat_width - 1.0);
  const int64_t y0 = static_cast<int64_t>(gy), x0 = static_cast<int64_t>(gx);
  const int64_t y1 = std::min(y0 + 1, p.heat_height - 1), x1 = std::min(x0 + 1, p.heat_width - 1);
  const double fy = gy - y0, fx = gx - x0;
  auto h = [&](int64_t r, int64_t c) { return p.heat[r * p.heat_width + c]; };
  return (1 - fy) * ((1 - fx) * h(y0, x0) + fx * h(y0, x1)) + fy * ((1 - fx) * h(y1, x0) + fx * h(y1, x1));
}

// The panel's pixels: grey image, heat colour blended over it with opacity max_opacity * t, where t is the heat
// rescaled to [0, 1] over the panel (min to max), so that a map of sigmoids all near 0.5 still shows its contrast.
std::vector<uint8_t> composite(const OverlayPanel& p, double max_opacity) {
  std::vector<uint8_t> rgb(static_cast<size_t>(p.height * p.width * 3));
  double hmin = 0, hmax = 0;
  if (!p.heat.empty()) {
    hmin = *std::min_element(p.heat.begin(), p.heat.end());
    hmax = *std::max_element(p.heat.begin(), p.heat.end());
  }
  for (int64_t y = 0; y < p.height; ++y) {
    for (int64_t x = 0; x < p.width; ++x) {
      const double g = std::clamp(p.image[y * p.width + x], 0.0, 1.0);
      double r = g, gr = g, b = g;
      if (hmax > hmin) {
        const double t = std::clamp((heat_at(p, y, x) - hmin) / (hmax - hmin), 0.0, 1.0);
        const Rgb c = viridis(t);
        const double a = max_opacity * t;
        r = (1 - a) * g + a * c.r;
        gr = (1 - a) * g + a * c.g;
        b = (1 - a) * g + a * c.b;
      }
      uint8_t* px = &rgb[static_cast<size_t>((y * p.width + x) * 3)];
      px[0] = static_cast<uint8_t>(std::lround(r * 255));
      px[1] = static_cast<uint8_t>(std::lround(gr * 255));
      px[2] = static_cast<uint8_t>(std::lround(b * 255));
    }
  }
  return rgb;
}

}  // namespace

std::string image_overlay(const std::vector<OverlayPanel>& panels, const ImageOverlayOptions& options) {
  check(!panels.empty(), "image_overlay: no panels to draw");
  check(options.columns > 0 && options.scale > 0, "image_overlay: columns and scale must be positive, got {} and {}",
        options.columns, options.scale);
  int64_t max_h = 0, max_w = 0;
  for (const OverlayPanel& p : panels) {
    check(p.height > 0 && p.width > 0 && static_cast<int64_t>(p.image.size()) == p.height * p.width,
          "image_overlay: panel '{}' has {} image values for {}x{} pixels", p.title, p.image.size(), p.height,
          p.width);
    check(p.heat.empty() || (p.heat_height > 0 && p.heat_width > 0 &&
                             static_cast<int64_t>(p.heat.size()) == p.heat_height * p.heat_width),
          "image_overlay: panel '{}' has {} heat values for a {}x{} grid", p.title, p.heat.size(), p.heat_height,
          p.heat_width);
    max_h = std::max(max_h, p.height);
    max_w = std::max(max_w, p.width);
  }
  const double pad = 8, title_h = 16;
  const double cell_w = max_w * options.scale + pad, cell_h = max_h * options.scale + title_h + pad;
  const double top = (options.title.empty() ? 0 : 24) + (options.caption.empty() ? 0 : 16) + pad;
  const int cols = std::min<int>(options.columns, static_cast<int>(panels.size()));
  const int rows = static_cast<int>((panels.size() + cols - 1) / cols);
  const double width = std::max(cols * cell_w + pad, 320.0), height = top + rows * cell_h + pad;

  // Written by hand rather than with viz::Svg, which has no <image> element.
  std::string body;
  if (!options.title.empty()) {
    body += fmt::format(R"(<text x="{}" y="20" font-size="15" font-weight="bold" text-anchor="middle">{}</text>)",
                        width / 2, escape_xml(options.title));
  }
  if (!options.caption.empty()) {
    body += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#555">{}</text>)", width / 2,
                        top - pad - 2, escape_xml(options.caption));
  }
  for (size_t i = 0; i < panels.size(); ++i) {
    const OverlayPanel& p = panels[i];
    const double x0 = pad + (i % cols) * cell_w, y0 = top + (i / cols) * cell_h;
    const double ix = x0, iy = y0 + title_h, s = options.scale;
    body += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="#222">{}</text>)", x0, y0 + 11,
                        escape_xml(p.title));
    body += fmt::format(
        R"(<image x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="none" style="image-rendering:pixelated" )"
        R"(xlink:href="{}"/>)",
        ix, iy, p.width * s, p.height * s,
        png_data_uri(composite(p, options.max_opacity), static_cast<int>(p.width), static_cast<int>(p.height)));
    for (const OverlayBox& b : p.boxes) {
      body += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="1.5"/>)",
                          ix + b.x * s, iy + b.y * s, b.width * s, b.height * s, escape_xml(b.color));
    }
    if (p.mark_peak && !p.heat.empty()) {
      const auto peak = std::max_element(p.heat.begin(), p.heat.end()) - p.heat.begin();
      const double cx = ix + (peak % p.heat_width + 0.5) * p.width * s / p.heat_width;
      const double cy = iy + (peak / p.heat_width + 0.5) * p.height * s / p.heat_height;
      body += fmt::format(R"(<path d="M{} {}L{} {}M{} {}L{} {}" stroke="#d62728" stroke-width="2"/>)", cx - 4, cy - 4,
                          cx + 4, cy + 4, cx - 4, cy + 4, cx + 4, cy - 4);
    }
  }
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" )"
                     R"(width="{}" height="{}" viewBox="0 0 {} {}" font-family="sans-serif">)"
                     R"(<rect width="100%" height="100%" fill="white"/>{}</svg>)",
                     width, height, width, height, body);
}

}  // namespace glimpse::viz
