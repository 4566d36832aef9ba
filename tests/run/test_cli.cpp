// Tests for run/cli.h: the common flags, --help, exit code 2 for a bad command line, the exact command line.
#include <doctest/doctest.h>

#include <vector>

#include "run/cli.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {
std::optional<int> parse(run::Cli& cli, std::vector<const char*> args) {
  args.insert(args.begin(), "prog");
  return cli.parse(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("cli: defaults, and the out folder is runs/<name>") {
  run::Cli cli("toy", "a toy");
  CHECK_FALSE(parse(cli, {}).has_value());
  CHECK(cli.seed == 0);
  CHECK(cli.threads == 0);
  CHECK_FALSE(cli.smoke);
  CHECK(cli.out == std::filesystem::path("runs") / "toy");
  CHECK(std::filesystem::is_directory(cli.out));  // made by parse()
  std::filesystem::remove_all(cli.out);
  std::filesystem::remove(cli.out.parent_path());  // only when empty
}

TEST_CASE("cli: common and own flags are parsed and the seed is applied") {
  run::Cli cli("toy", "a toy");
  int epochs = 4;
  cli.add("--epochs", epochs, "passes")->check(run::positive());
  const int threads_before = get_num_threads();
  const auto out = std::filesystem::temp_directory_path() / "glimpse cli test";  // a space, on purpose
  REQUIRE_FALSE(parse(cli, {"--seed", "7", "--out", out.c_str(), "--smoke", "--epochs", "9", "--threads", "1"}));
  CHECK(cli.seed == 7);
  CHECK(cli.smoke);
  CHECK(epochs == 9);
  CHECK(cli.out == out);
  CHECK(std::filesystem::is_directory(out));
  std::filesystem::remove_all(out);
  CHECK(get_num_threads() == 1);
  set_num_threads(threads_before);
  // manual_seed(7) was applied: the next draw equals a fresh generator's with seed 7.
  Generator g(7);
  CHECK(default_generator().next_u64() == g.next_u64());
}

TEST_CASE("cli: --help exits 0 and lists every flag with its default") {
  run::Cli cli("toy", "a toy");
  int epochs = 4;
  cli.add("--epochs", epochs, "passes over the data");
  CHECK(parse(cli, {"--help"}) == 0);
  const std::string help = cli.app().help();
  for (const char* flag : {"--seed", "--threads", "--out", "--smoke", "--epochs", "passes over the data"}) {
    CHECK(help.find(flag) != std::string::npos);
  }
  CHECK(help.find("runs/toy") != std::string::npos);  // the default out folder is shown
}

TEST_CASE("cli: an unknown flag, a bad value or a value out of range exits 2") {
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {"--nope"}, {"--seed", "abc"}, {"--threads", "-1"}, {"--epochs", "0"}, {"--epochs"}, {"stray"},
           {"--out", "/proc/glimpse_cannot_be_made"}}) {
    run::Cli cli("toy", "a toy");
    int epochs = 4;
    cli.add("--epochs", epochs, "passes")->check(run::positive());
    CHECK(parse(cli, args) == run::kExitUsage);
  }
}

TEST_CASE("cli: command_line quotes what a shell would split or expand") {
  const char* argv[] = {"./ex", "--out", "my runs/a", "--name", "it's", "--lr", "1e-3", ""};
  CHECK(run::command_line(8, argv) == R"(./ex --out 'my runs/a' --name 'it'\''s' --lr 1e-3 '')");
  run::Cli cli("toy", "a toy");
  const std::string out = (std::filesystem::temp_directory_path() / "glimpse_cli_command").string();
  const char* args[] = {"./toy", "--seed", "3", "--out", out.c_str()};
  REQUIRE_FALSE(cli.parse(5, args));
  CHECK(cli.command() == "./toy --seed 3 --out " + out);
  std::filesystem::remove_all(out);
}

TEST_CASE("cli: guarded turns an exception into exit code 1") {
  CHECK(run::guarded("toy", [] { return 0; }) == 0);
  CHECK(run::guarded("toy", []() -> int { throw std::runtime_error("boom"); }) == run::kExitFailure);
}
