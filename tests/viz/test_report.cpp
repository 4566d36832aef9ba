// Tests for viz/report.h: a well-formed page holding the title, command, metrics, figures and tables, escaped.
#include <doctest/doctest.h>

#include <filesystem>

#include "svg_check.h"
#include "tensor/error.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;

TEST_CASE("report: sections in order, text escaped, figures inlined or linked, the page parses as XML") {
  viz::Svg svg(40, 20);
  svg.text(1, 10, "a<b");
  viz::Report report("Run & <test>");
  report.command("./ex --out 'my dir'")
      .metrics({{"mse", "1.4e-05"}, {"attention_correct", "5/5"}})
      .figure(svg.str(), "fig <1>")
      .link_figure("loss.svg", "loss")
      .figure_grid({{svg.str(), "g1"}, {svg.str(), "g2"}})
      .table({"a", "b"}, {{"1", "<2>"}})
      .preformatted("x & y")
      .text("it's done");
  const auto path = std::filesystem::temp_directory_path() / "glimpse_report_test" / "report.html";
  report.save(path);
  const std::string html = svg_test::check_html_file(path);
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(html, doc).empty());
  pugi::xml_node body = doc.child("html").child("body");
  CHECK(std::string(doc.child("html").child("head").child("title").text().get()) == "Run & <test>");
  CHECK(std::string(body.child("h1").text().get()) == "Run & <test>");
  CHECK(html.find("./ex --out &#39;my dir&#39;") != std::string::npos);
  CHECK(doc.select_nodes("//svg").size() == 3);
  CHECK(doc.select_node("//img[@src='loss.svg']"));
  CHECK(doc.select_node("//td[text()='attention_correct']"));
  CHECK(doc.select_node("//td[text()='<2>']"));
  CHECK(doc.select_node("//figcaption[text()='fig <1>']"));
  CHECK(html.find("Command") < html.find("Metrics"));
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("report: a figure that is not an SVG and a ragged table are Errors") {
  viz::Report report("x");
  CHECK_THROWS_AS(report.figure("<png/>"), Error);
  CHECK_THROWS_AS(report.table({"a", "b"}, {{"1"}}), Error);
}
