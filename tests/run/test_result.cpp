// Tests for run/result.h: the `result:` line's layout and its checks.
#include <doctest/doctest.h>

#include <cstdint>

#include "run/result.h"
#include "tensor/error.h"

using namespace glimpse;

TEST_CASE("result: keys in order, numbers with 4 significant digits, a repeated key keeps its place") {
  run::Result r;
  r.add("mse", 1.4321e-5).add("attention_correct", "5/5").add("it_per_s", int64_t{152340}).add("epochs", 4);
  CHECK(r.str() == "result: mse=1.432e-05 attention_correct=5/5 it_per_s=152340 epochs=4");
  r.add("mse", 0.5);
  CHECK(r.str() == "result: mse=0.5 attention_correct=5/5 it_per_s=152340 epochs=4");
  REQUIRE(r.items().size() == 4);
  CHECK(r.items()[2].first == "it_per_s");
}

TEST_CASE("result: a key or value that would break the line is an Error") {
  run::Result r;
  CHECK_THROWS_AS(r.add("bad key", 1.0), Error);
  CHECK_THROWS_AS(r.add("", 1.0), Error);
  CHECK_THROWS_AS(r.add("a=b", 1.0), Error);
  CHECK_THROWS_AS(r.add("text", "two words"), Error);
  CHECK_THROWS_AS(r.add("text", ""), Error);
  CHECK(r.items().empty());
}

TEST_CASE("result: print writes the line to the stream") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  run::Result r;
  r.add("loss", 0.25);
  r.print(f);
  std::rewind(f);
  char buf[64] = {};
  REQUIRE(std::fgets(buf, sizeof buf, f) != nullptr);
  CHECK(std::string(buf) == "result: loss=0.25\n");
  std::fclose(f);
}
