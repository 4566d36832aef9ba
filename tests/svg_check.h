// Test helpers for figures: parse an SVG or HTML file with a real XML parser (pugixml), and render an SVG to PNG with
// rsvg-convert when it is installed (a renderer rejects things a parser accepts, such as an unknown unit).
#pragma once

#include <doctest/doctest.h>
#include <pugixml.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace glimpse::svg_test {

// Parses XML text; returns "" when it is well-formed, else pugixml's description with the offset.
inline std::string xml_error(const std::string& text, pugi::xml_document& doc) {
  const pugi::xml_parse_result r = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_doctype);
  if (r) return "";
  return std::string(r.description()) + " at offset " + std::to_string(r.offset) + ": '" +
         text.substr(static_cast<size_t>(r.offset), 60) + "'";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline bool have_rsvg() {
  static const bool have = std::system("command -v rsvg-convert >/dev/null 2>&1") == 0;
  return have;
}

// Checks that `svg` is a well-formed <svg> document with a size, and that rsvg-convert (when present) renders it to a
// non-empty PNG. `name` labels failures and the PNG file (written to the temporary folder).
inline void check_svg(const std::string& svg, const std::string& name) {
  INFO("figure: " << name);
  pugi::xml_document doc;
  const std::string err = xml_error(svg, doc);
  REQUIRE_MESSAGE(err.empty(), err);
  const pugi::xml_node root = doc.child("svg");
  REQUIRE(root);
  CHECK(root.attribute("width").as_double() > 0);
  CHECK(root.attribute("height").as_double() > 0);
  if (!have_rsvg()) return;
  const auto dir = std::filesystem::temp_directory_path();
  // Unique per process and call: ctest runs test cases in parallel.
  static int calls = 0;
  const auto stem = std::to_string(::getpid()) + "_" + std::to_string(++calls);
  const auto in = dir / ("glimpse_check_" + stem + ".svg"), out = dir / ("glimpse_check_" + stem + ".png");
  {
    std::ofstream f(in, std::ios::binary);
    f << svg;
  }
  const std::string cmd = "rsvg-convert -o '" + out.string() + "' '" + in.string() + "' 2>&1";
  CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "rsvg-convert failed on " << name);
  CHECK(std::filesystem::exists(out));
  if (std::filesystem::exists(out)) CHECK(std::filesystem::file_size(out) > 100);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

inline void check_svg_file(const std::filesystem::path& path) { check_svg(read_file(path), path.string()); }

// Checks that an HTML report parses as XML and has a <title>; returns the document's text for further checks.
inline std::string check_html_file(const std::filesystem::path& path) {
  INFO("report: " << path.string());
  const std::string text = read_file(path);
  pugi::xml_document doc;
  const std::string err = xml_error(text, doc);
  REQUIRE_MESSAGE(err.empty(), err);
  CHECK(doc.child("html").child("head").child("title"));
  return text;
}

}  // namespace glimpse::svg_test
