// glimpse::Error and the one checking helper every op uses.
//
// An op validates its arguments with `check(ok, "op: what went wrong, and the fix", args...)`. The message is
// formatted with fmt only when the check fails, so a passing check costs one branch.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace glimpse {

// Every error glimpse raises on bad input. Messages name the op, the shapes involved and, where it helps, the fix:
//   "matmul: [2, 3] @ [4, 5]: inner sizes differ (3 vs 4)"
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws glimpse::Error with a fmt-formatted message when `ok` is false.
template <class... Args>
inline void check(bool ok, fmt::format_string<Args...> message, Args&&... args) {
  if (!ok) [[unlikely]] {
    throw Error(fmt::format(message, std::forward<Args>(args)...));
  }
}

}  // namespace glimpse
