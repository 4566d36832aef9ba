// shared_data_path: the default corpus location of every example (see shared_data.h).
#include "data/shared_data.h"

#include <system_error>
#include <vector>

namespace glimpse::data {

namespace fs = std::filesystem;

fs::path shared_data_path(const char* argv0, std::string_view name) {
  const fs::path relative = fs::path("shared") / "data" / fs::path(name);
  std::error_code ec;
  std::vector<fs::path> starts;
  // /proc/self/exe is the program even when it was started through a relative path from another folder.
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec && argv0 != nullptr && *argv0 != '\0') exe = fs::weakly_canonical(fs::path(argv0), ec);
  if (!ec && !exe.empty()) starts.push_back(exe.parent_path());
  fs::path cwd = fs::current_path(ec);
  if (!ec) starts.push_back(cwd);
  for (fs::path dir : starts) {
    for (;; dir = dir.parent_path()) {
      if (fs::exists(dir / relative, ec)) return dir / relative;
      if (dir == dir.parent_path()) break;  // the root folder
    }
  }
  return fs::path("..") / relative;
}

}  // namespace glimpse::data
