// Tests for data/text_blocks: blocks are contiguous, y is x shifted by one, starts cover the valid range, the split.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "data/text_blocks.h"
#include "tensor/elementwise.h"

using namespace glimpse;

TEST_SUITE("text_blocks") {
  TEST_CASE("each block is contiguous and y is x shifted left by one token") {
    const Tensor ids = arange(100);  // id i at position i, so a block's values show where it came from
    data::TextBlocks blocks(ids, 8);
    Generator gen(3);
    std::set<int64_t> starts;
    for (int rep = 0; rep < 200; ++rep) {
      auto [x, y] = blocks.sample(4, gen);
      REQUIRE(x.shape() == Shape{4, 8});
      REQUIRE(y.shape() == Shape{4, 8});
      for (int64_t b = 0; b < 4; ++b) {
        const int64_t s = x.data<int64_t>()[b * 8];
        starts.insert(s);
        for (int64_t t = 0; t < 8; ++t) {
          CHECK(x.data<int64_t>()[b * 8 + t] == s + t);
          CHECK(y.data<int64_t>()[b * 8 + t] == s + t + 1);
        }
      }
    }
    // torch.randint(len(data) - block_size): starts 0..91, so the last target is the last token (99).
    CHECK(*starts.begin() == 0);
    CHECK(*starts.rbegin() == 91);
    CHECK(starts.size() == 92);
  }

  TEST_CASE("the same generator seed gives the same batches") {
    data::TextBlocks blocks(arange(50), 5);
    Generator g1(9), g2(9);
    CHECK(equal(blocks.sample(3, g1).x, blocks.sample(3, g2).x));
  }

  TEST_CASE("split_train_val: the first int(0.9 N) ids train, the rest validate") {
    auto [train, val] = data::split_train_val(arange(1003), 0.9);
    CHECK(train.numel() == 902);
    CHECK(val.numel() == 101);
    CHECK(val.data<int64_t>()[0] == 902);
  }

  TEST_CASE("a stream of byte ids is kept as one byte per token and gives the same batches as int64 ids") {
    // The same 300 ids three ways: int64 ids below 256 (narrowed to bytes), bytes given directly, and ids up to 299
    // (kept as int64). Batches from the same generator seed must match token for token.
    std::vector<uint8_t> bytes(300);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>((i * 7) % 256);
    std::vector<int64_t> wide(bytes.begin(), bytes.end());
    data::TextBlocks from_tensor(tensor(wide, {300}), 16), from_bytes(bytes, 16);
    CHECK(from_tensor.stream_bytes() == 300);  // narrowed: 1 byte per token, not 8
    CHECK(from_bytes.stream_bytes() == 300);
    CHECK(from_bytes.num_tokens() == 300);
    Generator g1(5), g2(5);
    for (int rep = 0; rep < 20; ++rep) {
      auto a = from_tensor.sample(3, g1), b = from_bytes.sample(3, g2);
      REQUIRE(a.x.dtype() == kInt64);
      CHECK(equal(a.x, b.x));
      CHECK(equal(a.y, b.y));
      const int64_t* x = b.x.data<int64_t>();
      for (int64_t t = 0; t + 1 < 16; ++t) CHECK(b.y.data<int64_t>()[t] == x[t + 1]);  // still shifted by one
    }
    data::TextBlocks large(arange(300), 16);  // ids up to 299 do not fit a byte: kept as int64
    CHECK(large.stream_bytes() == 300 * 8);
    Generator g3(1);
    auto [x, y] = large.sample(2, g3);
    CHECK(y.data<int64_t>()[0] == x.data<int64_t>()[0] + 1);
  }

  TEST_CASE("split_train_val of byte ids: the same int(0.9 N) cut as for a tensor") {
    std::vector<uint8_t> ids(1003);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint8_t>(i % 251);
    auto [train, val] = data::split_train_val(ids, 0.9);
    CHECK(train.size() == 902);
    CHECK(val.size() == 101);
    CHECK(val[0] == 902 % 251);
    CHECK(train.back() == 901 % 251);
    CHECK_THROWS_WITH_AS(data::split_train_val(ids, 0.0), doctest::Contains("train_fraction"), glimpse::Error);
    CHECK_THROWS_WITH_AS(data::TextBlocks(std::vector<uint8_t>(8), 8),
                         doctest::Contains("8 tokens are too few for blocks of 8"), glimpse::Error);
  }

  TEST_CASE("errors: too short a text, a bad fraction, a missing file") {
    CHECK_THROWS_WITH_AS(data::TextBlocks(arange(8), 8), doctest::Contains("8 tokens are too few for blocks of 8"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(data::split_train_val(arange(10), 1.0), doctest::Contains("train_fraction"), glimpse::Error);
    CHECK_THROWS_WITH_AS(data::read_text_file("/nonexistent/input.txt"),
                         doctest::Contains("cannot read the text file \"/nonexistent/input.txt\""), glimpse::Error);
    const auto path = std::filesystem::temp_directory_path() / "glimpse_text_blocks.txt";
    std::ofstream(path) << "abc\ndef";
    CHECK(data::read_text_file(path.string()) == "abc\ndef");
    std::filesystem::remove(path);
  }
}
