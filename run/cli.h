// The command line every example shares, on CLI11: --help, --seed, --threads, --out, --smoke, plus your own flags.
//
//   int main(int argc, char** argv) {
//     run::Cli cli("context_network", "Trains the tutorial's context network.");
//     int epochs = 4;
//     cli.add("--epochs", epochs, "passes over the data")->check(run::positive());
//     if (auto code = cli.parse(argc, argv)) return *code;  // --help: 0; unknown flag or bad value: message, 2
//     // cli.seed and cli.threads are applied already; write figures under cli.out (default runs/context_network)
//     return run::guarded(cli.name(), [&] { ...; return 0; });  // a glimpse::Error: message, exit 1
//   }
//
// cli.command() is the exact command line (shell-quoted), for the run report.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

namespace glimpse::run {

// The process exit codes the examples use: 2 for a bad command line (as getopt programs do), 1 for a failed run.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 1;

class Cli {
 public:
  // The common flags, filled by parse(). CLI11 writes into them, so a Cli is neither copied nor moved.
  uint64_t seed = 0;           // --seed: seeds glimpse's global generator (manual_seed)
  int threads = 0;             // --threads: threads for glimpse's kernels (set_num_threads); 0 keeps the default
  std::filesystem::path out;   // --out: where plots, checkpoints and report.html go; default runs/<name>
  bool smoke = false;          // --smoke: tiny sizes, a second or two, for tests

  Cli(std::string name, const std::string& description);
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  // Adds an option bound to `value`; its current value is shown as the default in --help. The returned CLI11 option
  // takes checks: ->check(run::positive()), ->check(CLI::Range(1, 64)), ->check(CLI::IsMember({"a", "b"})).
  template <class T>
  CLI::Option* add(const std::string& flag, T& value, const std::string& help) {
    return app_.add_option(flag, value, help);
  }
  // Adds a switch that sets `value` to true when present.
  CLI::Option* add_flag(const std::string& flag, bool& value, const std::string& help) {
    return app_.add_flag(flag, value, help);
  }
  CLI::App& app() { return app_; }  // the whole of CLI11, for anything the two above do not cover

  // Parses the command line. Returns an exit code when the program should stop now: 0 after --help, kExitUsage (2)
  // after printing what was wrong with the command line (or that the --out folder cannot be made). Otherwise returns
  // nothing, having created the --out folder and applied --seed and --threads.
  std::optional<int> parse(int argc, const char* const* argv);
  std::optional<int> parse(int argc, char** argv) { return parse(argc, const_cast<const char* const*>(argv)); }

  const std::string& name() const { return name_; }
  const std::string& command() const { return command_; }  // the exact command line, after parse()

 private:
  std::string name_;
  std::string command_;
  CLI::App app_;
};

// Checks for numeric flags with plain messages ("--epochs: must be > 0, got 0"); CLI11's own PositiveNumber prints
// the whole range up to the largest double.
CLI::Validator positive();
CLI::Validator non_negative();

// argv joined into one line a shell would run unchanged: arguments with spaces or shell characters single-quoted.
std::string command_line(int argc, const char* const* argv);

// Runs body() and returns its exit code; an exception is printed as "<name>: error: <message>" and gives kExitFailure.
template <class Body>
int guarded(const std::string& name, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
    return kExitFailure;
  }
}

}  // namespace glimpse::run
