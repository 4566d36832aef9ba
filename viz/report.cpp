// The run report: sections appended in call order to one self-contained, well-formed HTML page.
#include "viz/report.h"

#include <fmt/format.h>

#include "tensor/error.h"
#include "viz/svg.h"

namespace glimpse::viz {

namespace {

// The SVG element alone: an XML declaration or DOCTYPE may not appear inside the page.
std::string svg_element(const std::string& svg) {
  const size_t start = svg.find("<svg");
  check(start != std::string::npos, "Report::figure: the text is not an SVG (no <svg element)");
  return svg.substr(start);
}

std::string figure_block(const std::string& inner, const std::string& caption) {
  std::string out = "<figure>\n" + inner;
  if (!caption.empty()) out += "<figcaption>" + escape_xml(caption) + "</figcaption>\n";
  return out + "</figure>\n";
}

constexpr const char* kStyle = R"(
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.3em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
code, pre { font-family: DejaVu Sans Mono, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: right; }
th { background: #f2f2f2; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; display: inline-block; vertical-align: top; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; max-width: 600px; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; }
svg { max-width: 100%; height: auto; }
)";

}  // namespace

Report::Report(std::string title) : title_(std::move(title)) {}

Report& Report::command(const std::string& command_line) {
  body_ += "<h2>Command</h2>\n<pre>" + escape_xml(command_line) + "</pre>\n";
  return *this;
}

Report& Report::metrics(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : items) rows.push_back({k, v});
  heading("Metrics");
  return table({"metric", "value"}, rows);
}

Report& Report::heading(const std::string& text) {
  body_ += "<h2>" + escape_xml(text) + "</h2>\n";
  return *this;
}

Report& Report::text(const std::string& paragraph) {
  body_ += "<p>" + escape_xml(paragraph) + "</p>\n";
  return *this;
}

Report& Report::preformatted(const std::string& text) {
  body_ += "<pre>" + escape_xml(text) + "</pre>\n";
  return *this;
}

Report& Report::figure(const std::string& svg, const std::string& caption) {
  body_ += figure_block(svg_element(svg), caption);
  return *this;
}

Report& Report::link_figure(const std::string& relative_path, const std::string& caption) {
  body_ += figure_block(fmt::format("<img src=\"{}\" alt=\"{}\"/>\n", escape_xml(relative_path),
                                    escape_xml(caption.empty() ? relative_path : caption)),
                        caption);
  return *this;
}

Report& Report::figure_grid(const std::vector<std::pair<std::string, std::string>>& figures) {
  body_ += "<div class=\"grid\">\n";
  for (const auto& [svg, caption] : figures) body_ += figure_block(svg_element(svg), caption);
  body_ += "</div>\n";
  return *this;
}

Report& Report::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                      const std::string& caption) {
  std::string t = "<table>\n";
  if (!caption.empty()) t += "<caption>" + escape_xml(caption) + "</caption>\n";
  t += "<tr>";
  for (const auto& h : header) t += "<th>" + escape_xml(h) + "</th>";
  t += "</tr>\n";
  for (const auto& row : rows) {
    check(header.empty() || row.size() == header.size(), "Report::table: a row has {} cells for {} columns",
          row.size(), header.size());
    t += "<tr>";
    for (const auto& c : row) t += "<td>" + escape_xml(c) + "</td>";
    t += "</tr>\n";
  }
  body_ += t + "</table>\n";
  return *this;
}

std::string Report::html() const {
  return fmt::format(
      "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n<h1>{0}</h1>\n{2}</body>\n</html>\n",
      escape_xml(title_), kStyle, body_);
}

void Report::save(const std::filesystem::path& path) const { viz::save(path, html()); }

}  // namespace glimpse::viz
