// Where the examples find the corpora they train on by default: shared/data/ beside the project.
//
//   std::filesystem::path p = data::shared_data_path(argv[0], "tinyshakespeare.txt");
//
// The project's corpora live outside the checkout, in <folder holding the checkout>/shared/data/ (a fresh clone in
// /tmp/x finds /tmp/shared/data). The examples run from anywhere (the build folder, the project root, a test's temp
// folder), so the lookup walks up from the program's own folder first, then from the current folder, and takes the
// first shared/data/<name> it meets. Every example still takes --data to point elsewhere.
#pragma once

#include <filesystem>
#include <string_view>

namespace glimpse::data {

// The first existing shared/data/<name> above the running program's folder (/proc/self/exe, else argv0), then above
// the current folder; when there is none, the relative path ../shared/data/<name> (right when run from the project
// root, and what an error message should show the user).
std::filesystem::path shared_data_path(const char* argv0, std::string_view name);

}  // namespace glimpse::data
