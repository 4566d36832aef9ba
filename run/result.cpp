// The `result:` line: checked keys and values, so that a script splitting on spaces and '=' always parses it.
#include "run/result.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "tensor/error.h"

namespace glimpse::run {

Result& Result::add(std::string_view key, std::string_view value) {
  const bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  check(key_ok, "Result::add: key '{}' must be letters, digits and '_' (it is parsed as key=value)", key);
  const bool value_ok = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c));
  });
  check(value_ok, "Result::add: value '{}' of key '{}' must be non-empty without spaces (the line is split on spaces)",
        value, key);
  for (auto& [k, v] : items_) {
    if (k == key) {  // the latest value of a key wins: a key appears once on the line
      v = value;
      return *this;
    }
  }
  items_.emplace_back(std::string(key), std::string(value));
  return *this;
}

Result& Result::add(std::string_view key, double value) { return add(key, std::string_view(fmt::format("{:.4g}", value))); }

std::string Result::str() const {
  std::string line = "result:";
  for (const auto& [k, v] : items_) line += fmt::format(" {}={}", k, v);
  return line;
}

void Result::print(std::FILE* stream) const {
  fmt::print(stream, "{}\n", str());
  std::fflush(stream);
}

}  // namespace glimpse::run
