// Tests for data/char_vocab: sorted distinct characters, round trips, the out-of-vocabulary error.
#include <doctest/doctest.h>

#include "data/char_vocab.h"

using namespace glimpse;

TEST_SUITE("char_vocab") {
  TEST_CASE("the vocabulary is the sorted distinct characters, as nanoGPT's prepare.py") {
    auto vocab = data::CharVocab::from_text("hello world\n");
    CHECK(vocab.chars() == "\n dehlorw");
    CHECK(vocab.size() == 9);
    CHECK(vocab.encode("hello") == std::vector<int64_t>{4, 3, 5, 5, 6});
    CHECK(vocab.decode(vocab.encode("world\nhe")) == "world\nhe");
    CHECK(vocab.encode_tensor("dew").tolist() == std::vector<double>{2, 3, 8});
    CHECK(vocab.contains('w'));
    CHECK(!vocab.contains('z'));
  }

  TEST_CASE("encode_bytes gives the ids of encode, one byte each, even for a vocabulary of all 256 bytes") {
    std::string all;
    for (int b = 255; b >= 0; --b) all.push_back(static_cast<char>(b));
    auto vocab = data::CharVocab::from_text(all);
    REQUIRE(vocab.size() == 256);
    const std::vector<int64_t> wide = vocab.encode(all);
    const std::vector<uint8_t> bytes = vocab.encode_bytes(all);
    CHECK(std::vector<int64_t>(bytes.begin(), bytes.end()) == wide);
    CHECK(bytes.front() == 255);  // the last id, 255, survives the narrowing
    CHECK_THROWS_WITH_AS(data::CharVocab::from_text("ab").encode_bytes("abz"),
                         doctest::Contains("character 'z' at position 2"), glimpse::Error);
  }

  TEST_CASE("a saved vocabulary (its characters in order) rebuilds the same table") {
    auto a = data::CharVocab::from_text("The quick brown fox.");
    data::CharVocab b(a.chars());
    CHECK(b.encode("quick fox") == a.encode("quick fox"));
    CHECK_THROWS_WITH_AS(data::CharVocab("abca"), doctest::Contains("'a' appears twice"), glimpse::Error);
  }

  TEST_CASE("a character outside the vocabulary is a clear error naming it and its position") {
    auto vocab = data::CharVocab::from_text("abc\n");
    CHECK_THROWS_WITH_AS(vocab.encode("abz"), doctest::Contains("character 'z' at position 2 is not in the vocabulary"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(vocab.encode("a\x07"), doctest::Contains("'\\x07' at position 1"), glimpse::Error);
    CHECK_THROWS_WITH_AS(vocab.decode({0, 4}), doctest::Contains("id 4 is outside the vocabulary [0, 4)"),
                         glimpse::Error);
  }
}
