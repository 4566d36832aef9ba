// A small SVG writer: the shapes and text the plots need, with text escaped, plus colours and axis ticks.
//
//   viz::Svg svg(320, 200);
//   svg.rect(10, 10, 100, 40, "#ff7f0e");
//   svg.text(60, 80, "x < y & \"z\"", {.size = 14, .anchor = "middle"});   // escaped for you
//   viz::save(out / "plot.svg", svg.str());                                 // creates the folder
//
// The output is plain SVG 1.1 without ids, scripts or external references, so several figures can be inlined in one
// HTML page and any browser (or rsvg-convert) draws them.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glimpse::viz {

// `<`, `>`, `&`, `"` and `'` as entities: safe in text and in attribute values.
std::string escape_xml(std::string_view text);

// Writes text to a file, creating its folder; a glimpse::Error names the path when it cannot.
void save(const std::filesystem::path& path, std::string_view text);

struct TextStyle {
  double size = 12;
  std::string anchor = "start";   // start | middle | end
  std::string color = "#222";
  bool bold = false;
  double rotate = 0;              // degrees, about the anchor point
  std::string baseline = "auto";  // auto | middle | hanging
};

class Svg {
 public:
  Svg(double width, double height);

  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke = "none",
            double opacity = 1.0, std::string_view tooltip = "");
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1.0,
            double opacity = 1.0, bool dashed = false);
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width = 1.5);
  void circle(double cx, double cy, double r, std::string_view fill);
  void text(double x, double y, std::string_view text, const TextStyle& style = {});
  // A cubic Bézier from (x1, y1) to (x2, y2), vertical at both ends (the attention-flow links).
  void vertical_curve(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                      double opacity, std::string_view tooltip = "");

  double width() const { return width_; }
  double height() const { return height_; }
  std::string str() const;  // the complete <svg> element

 private:
  double width_, height_;
  std::string body_;
};

// Width in pixels of `text` at `size` in a sans-serif font: an estimate for layout (no font metrics at hand).
double text_width(std::string_view text, double size);

// An RGB colour, and the scales the plots use.
struct Rgb {
  double r = 0, g = 0, b = 0;  // 0..1
  std::string hex() const;     // "#rrggbb"
};
Rgb viridis(double t);                          // t in [0, 1]: dark purple -> blue -> green -> yellow
std::string text_color_on(const Rgb& background);  // black or white, whichever reads better
const std::string& palette(size_t i);           // distinct colours for series: blue, orange, green, red, ...
inline const std::string kOrange = "#ff7f0e";
inline const std::string kGreen = "#2ca02c";
inline const std::string kBlue = "#1f77b4";

// Round tick values covering [lo, hi]: about `count` steps of 1, 2 or 5 times a power of ten.
std::vector<double> nice_ticks(double lo, double hi, int count = 5);
// A tick's label: as short as the step allows ("0.5", "1e-03", "200").
std::string tick_label(double value, double step);

}  // namespace glimpse::viz
