// Test helper: run a shell command (an example program, an mpirun job) and collect its exit code and output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace glimpse::test {

struct CommandResult {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string out;     // stdout and stderr, interleaved
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

// A fresh empty folder under the system's temporary folder, unique to this process and `name`.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("glimpse_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A small text file for the language-model examples (so their tests need no data set): `lines` lines of prose, with
// every character of the gpt example's default --attention-text.
inline std::filesystem::path write_text(const std::filesystem::path& dir, int lines = 400) {
  const char* sentences[] = {"The quick brown fox jumps over the lazy dog.\n",
                             "Now is the winter of our discontent, made glorious summer.\n",
                             "To be, or not to be: that is the question.\n",
                             "All the world's a stage, and all the men and women merely players.\n",
                             "First Citizen:\nBefore we proceed any further, hear me speak.\n"};
  auto path = dir / "text.txt";
  std::ofstream f(path);
  for (int i = 0; i < lines; ++i) f << sentences[(i * 7 + i / 3) % 5];
  return path;
}

}  // namespace glimpse::test
