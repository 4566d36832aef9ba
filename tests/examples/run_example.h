// Test helpers for example programs: run one with arguments, capture its output and exit code, read its result line.
//
//   auto r = example_test::run("context_network", "--smoke --out " + dir.string());
//   CHECK(r.exit_code == 0);
//   CHECK(r.result.at("attention_correct") == "5/5");
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

namespace glimpse::example_test {

struct Run {
  int exit_code = -1;
  std::string output;                         // stdout and stderr together
  std::string last_line;                      // the last non-empty line of stdout
  std::map<std::string, std::string> result;  // key=value pairs of the `result:` line, when it is the last line
};

// Runs build/examples/<name> with `args` (already shell-quoted) from the build folder.
inline Run run(const std::string& name, const std::string& args) {
  const std::string exe = std::string(GLIMPSE_BINARY_DIR) + "/examples/" + name;
  // One file per process and call: ctest runs test cases in parallel, each in its own process.
  static int calls = 0;
  const auto out_file = std::filesystem::temp_directory_path() /
                        ("glimpse_example_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(++calls) +
                         "_stdout.txt");
  const std::string cmd = "'" + exe + "' " + args + " 2>&1 >'" + out_file.string() + "'";
  Run r;
  FILE* pipe = popen(cmd.c_str(), "r");  // the pipe carries stderr; stdout goes to the file
  if (pipe == nullptr) return r;
  char buf[4096];
  std::string err;
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) err.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream s;
  if (FILE* f = fopen(out_file.string().c_str(), "rb")) {
    while (size_t n = fread(buf, 1, sizeof buf, f)) s.write(buf, static_cast<std::streamsize>(n));
    fclose(f);
  }
  std::filesystem::remove(out_file);
  const std::string out = s.str();
  r.output = out + err;
  std::string line;
  std::istringstream lines(out);
  while (std::getline(lines, line)) {
    if (!line.empty()) r.last_line = line;
  }
  if (r.last_line.rfind("result:", 0) == 0) {
    std::istringstream words(r.last_line.substr(7));
    for (std::string word; words >> word;) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) r.result[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  return r;
}

// A fresh, empty folder under the temporary directory for one test's outputs.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("glimpse_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace glimpse::example_test
