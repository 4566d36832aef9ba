// The machine-readable last line of every example: `result: mse=1.4e-05 attention_correct=5/5 it_per_s=152340`.
//
//   run::Result result;
//   result.add("mse", mse).add("attention_correct", fmt::format("{}/5", correct)).add("it_per_s", int64_t(rate));
//   result.print();            // to stdout, flushed: the program's last line
//   report.metrics(result.items());   // the same pairs, as the report's table
//
// Keys are identifiers ([A-Za-z0-9_]); values may not contain whitespace, so `split()` then `split('=')` parses the
// line. Floating-point values are written with 4 significant digits.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glimpse::run {

class Result {
 public:
  Result& add(std::string_view key, std::string_view value);
  Result& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  Result& add(std::string_view key, double value);
  template <std::integral I>
  Result& add(std::string_view key, I value) {
    return add(key, std::string_view(std::to_string(value)));
  }

  std::string str() const;                 // "result: key=value key=value"
  void print(std::FILE* stream = stdout) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace glimpse::run
