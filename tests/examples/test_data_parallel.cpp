// Smoke tests of examples/data_parallel as one process (the mpirun runs are in tests/distributed).
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "run_command.h"
#include "svg_check.h"

namespace {

const std::string kBinary = std::string(GLIMPSE_BINARY_DIR) + "/examples/data_parallel";

}  // namespace

TEST_CASE("data_parallel smoke run: result line, falling loss, figures and report") {
  const auto dir = glimpse::test::fresh_dir("dp_smoke");
  const auto text = glimpse::test::write_text(dir);
  const auto r = glimpse::test::run_command(kBinary + " --smoke --out " + (dir / "out").string() + " --data " +
                                            text.string());
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const auto pos = r.out.rfind("result: ");
  REQUIRE(pos != std::string::npos);
  std::istringstream line(r.out.substr(pos + 8));
  std::map<std::string, double> kv;
  std::string item;
  while (line >> item) {
    const auto eq = item.find('=');
    REQUIRE(eq != std::string::npos);
    kv[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
  }
  for (const char* key : {"loss_first", "loss_last", "ranks", "batch_per_rank", "ms_per_iter", "steps"}) {
    CHECK_MESSAGE(kv.count(key) == 1, key);
  }
  CHECK(kv["ranks"] == 1);
  CHECK(kv["steps"] == 20);
  CHECK(kv["loss_last"] < kv["loss_first"] - 0.3);
  glimpse::svg_test::check_svg_file(dir / "out" / "loss.svg");
  glimpse::svg_test::check_html_file(dir / "out" / "report.html");
  for (const char* f : {"model.safetensors", "optimizer.safetensors", "trainer.safetensors", "losses.tsv"}) {
    CHECK_MESSAGE(std::filesystem::exists(dir / "out" / f), f);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("data_parallel rejects bad flags with exit 2 and a missing file with exit 1") {
  auto r = glimpse::test::run_command(kBinary + " --no-such-flag");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("no-such-flag") != std::string::npos);
  r = glimpse::test::run_command(kBinary + " --batch 0");
  CHECK(r.exit_code == 2);
  r = glimpse::test::run_command(kBinary + " --smoke --data /nonexistent/text.txt --out /tmp/glimpse_dp_never");
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("cannot read --data /nonexistent/text.txt") != std::string::npos);
}
