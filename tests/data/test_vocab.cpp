// Tests for data/vocab: the protocol's id order (specials, count down, ties by code points), unknown words, decode.
#include <doctest/doctest.h>

#include "data/vocab.h"
#include "tensor/error.h"

using glimpse::data::Vocab;
using Tokens = std::vector<std::string>;

TEST_SUITE("vocab") {
  TEST_CASE("specials first, then descending count, ties by code points") {
    // counts: b 3, a 2, é 2, z 2, c 1; é (U+00E9) sorts after z (U+007A) by code point.
    const Vocab v = Vocab::build({{"b", "a", "é"}, {"b", "z", "a"}, {"b", "é", "z", "c"}});
    CHECK(v.tokens() == Tokens{"<pad>", "<bos>", "<eos>", "<unk>", "b", "a", "z", "é", "c"});
    CHECK(v.id("b") == 4);
    CHECK(v.id("never seen") == Vocab::kUnk);
    CHECK(v.encode({"z", "q"}) == std::vector<int64_t>{6, Vocab::kUnk});
    CHECK(v.decode({1, 4, 5, 2, 6}) == Tokens{"b", "a"});  // <bos> skipped, stops at <eos>
    CHECK(Vocab::build({{"a", "b", "b"}}, 2).tokens() == Tokens{"<pad>", "<bos>", "<eos>", "<unk>", "b"});
  }

  TEST_CASE("from_tokens round trip and errors") {
    const Vocab v = Vocab::build({{"x", "y"}});
    CHECK(Vocab::from_tokens(v.tokens()).tokens() == v.tokens());
    CHECK_THROWS_WITH_AS(Vocab::from_tokens({"a", "b"}), doctest::Contains("<pad> <bos> <eos> <unk>"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(Vocab::from_tokens({"<pad>", "<bos>", "<eos>", "<unk>", "a", "a"}),
                         doctest::Contains("appears twice"), glimpse::Error);
    CHECK_THROWS_WITH_AS(v.token(99), doctest::Contains("id 99"), glimpse::Error);
  }
}
