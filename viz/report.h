// report.html: one page per run with its title, the exact command, a metrics table, figures, tables and text, so a
// user opens one file in a browser instead of hunting for SVGs.
//
//   viz::Report report("Context network");
//   report.command(cli.command()).metrics(result.items());
//   report.figure(svg_text, "Learned attention per context");      // inlined
//   report.link_figure("loss.svg", "Training loss");                // <img>, relative to the report
//   report.table({"context", "truth", "learned"}, rows).text("...");
//   report.save(cli.out / "report.html");
//
// The page is well-formed XML (XHTML-style tags and entities) so tests can parse it with a real XML parser.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace glimpse::viz {

class Report {
 public:
  explicit Report(std::string title);

  Report& command(const std::string& command_line);
  Report& metrics(const std::vector<std::pair<std::string, std::string>>& items);
  Report& heading(const std::string& text);
  Report& text(const std::string& paragraph);
  Report& preformatted(const std::string& text);  // monospace, e.g. a text table or a formula
  Report& figure(const std::string& svg, const std::string& caption = "");
  Report& link_figure(const std::string& relative_path, const std::string& caption = "");
  // Figures side by side, wrapping on narrow windows: pairs of (svg, caption).
  Report& figure_grid(const std::vector<std::pair<std::string, std::string>>& figures);
  Report& table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                const std::string& caption = "");

  std::string html() const;
  void save(const std::filesystem::path& path) const;  // creates the folder

 private:
  std::string title_;
  std::string body_;
};

}  // namespace glimpse::viz
