// Tests for data/translation_pairs: reading tab-separated pairs, the every-tenth-line TEST split, bad files.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "data/translation_pairs.h"
#include "tensor/error.h"

using namespace glimpse;

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = std::string(P_tmpdir) + "/glimpse_test_" + name;
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_SUITE("translation_pairs") {
  TEST_CASE("reads and tokenises both sides, splits line % 10 == 9 into test") {
    std::string text;
    for (int i = 0; i < 20; ++i) text += "Go " + std::to_string(i) + ".\tVa " + std::to_string(i) + "\u202f!\r\n";
    const std::string path = write_temp("pairs.tsv", text);
    data::TranslationCorpus c = data::read_translation_pairs(path);
    REQUIRE(c.size() == 20);
    CHECK(c[3].source_tokens == std::vector<std::string>{"go", "3", "."});
    CHECK(c[3].target_tokens == std::vector<std::string>{"va", "3", "!"});
    data::TranslationSplit s = data::split_every_tenth(c);
    REQUIRE(s.test.size() == 2);
    CHECK(s.test[0].line == 9);
    CHECK(s.test[1].line == 19);
    CHECK(s.train.size() == 18);
    std::remove(path.c_str());
  }

  TEST_CASE("bad files: missing, no tab, an empty side") {
    CHECK_THROWS_WITH_AS(data::read_translation_pairs("/nonexistent/x.tsv"), doctest::Contains("--data"),
                         glimpse::Error);
    const std::string no_tab = write_temp("notab.tsv", "hello\tbonjour\nno tab here\n");
    CHECK_THROWS_WITH_AS(data::read_translation_pairs(no_tab), doctest::Contains("line 2: no tab"), glimpse::Error);
    const std::string empty = write_temp("empty.tsv", "hello\t \n");
    CHECK_THROWS_WITH_AS(data::read_translation_pairs(empty), doctest::Contains("empty side"), glimpse::Error);
    std::remove(no_tab.c_str());
    std::remove(empty.c_str());
  }
}
