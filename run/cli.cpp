// The shared command line: CLI11 set up with the common flags, and errors turned into exit code 2.
#include "run/cli.h"

#include "tensor/parallel.h"
#include "tensor/random.h"

namespace glimpse::run {

Cli::Cli(std::string name, const std::string& description)
    : out(std::filesystem::path("runs") / name), name_(std::move(name)), app_(description, name_) {
  // Every option shows its default in --help, taken from the bound variable when the option is added.
  app_.option_defaults()->always_capture_default();
  app_.get_formatter()->column_width(36);  // room for "--out TEXT=runs/<name>" beside its help
  app_.set_help_flag("-h,--help", "print the flags with their defaults and exit");
  app_.add_option("--seed", seed, "random seed (the same seed gives the same run)");
  app_.add_option("--threads", threads, "threads for glimpse's kernels; 0 = the default (all cores)")
      ->check(non_negative());
  app_.add_option("--out", out, "folder for figures, checkpoints and report.html");
  app_.add_flag("--smoke", smoke, "tiny sizes: runs in a second or two (tests use it)");
}

std::optional<int> Cli::parse(int argc, const char* const* argv) {
  command_ = command_line(argc, argv);
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app_.help());
    return 0;
  } catch (const CLI::ParseError& e) {
    // CLI11's own exit codes are its error numbers (106, 109, ...); a shell user expects 2 for a bad command line.
    fmt::print(stderr, "{}: error: {}\nRun '{} --help' for the flags.\n", name_, e.what(), argc > 0 ? argv[0] : name_);
    return kExitUsage;
  }
  // Make the out folder now: a typo in --out should stop the run before training, not after it.
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec || !std::filesystem::is_directory(out)) {
    fmt::print(stderr, "{}: error: --out: cannot create the folder '{}': {}\n", name_, out.string(),
               ec ? ec.message() : "a file of that name exists");
    return kExitUsage;
  }
  manual_seed(seed);
  if (threads > 0) set_num_threads(threads);
  return std::nullopt;
}

namespace {
CLI::Validator number_check(const char* name, bool (*ok)(double), const char* requirement) {
  return CLI::Validator(
      [ok, requirement](std::string& text) -> std::string {
        size_t used = 0;
        double v = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size()) return "must be a number, got '" + text + "'";
        return ok(v) ? std::string() : std::string("must be ") + requirement + ", got " + text;
      },
      name);
}
}  // namespace

CLI::Validator positive() {
  return number_check("POSITIVE", [](double v) { return v > 0; }, "> 0");
}

CLI::Validator non_negative() {
  return number_check("NONNEGATIVE", [](double v) { return v >= 0; }, ">= 0");
}

std::string command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0) line += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      line += arg;
      continue;
    }
    // Inside single quotes nothing is special except the quote itself, written as '\''.
    line += '\'';
    for (char c : arg) {
      if (c == '\'') {
        line += "'\\''";
      } else {
        line += c;
      }
    }
    line += '\'';
  }
  return line;
}

}  // namespace glimpse::run
