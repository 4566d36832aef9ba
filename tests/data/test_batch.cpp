// Tests for data/batch: padding with <bos>/<eos>, lengths, an empty batch.
#include <doctest/doctest.h>

#include "data/batch.h"

using namespace glimpse;

TEST_SUITE("batch") {
  TEST_CASE("pad_batch pads at the end and counts bos and eos in the lengths") {
    data::PaddedBatch b = data::pad_batch({{5, 6, 7}, {8}}, {.append_eos = true});
    CHECK(b.ids.shape() == Shape{2, 4});
    CHECK(b.ids.tolist() == std::vector<double>{5, 6, 7, 2, 8, 2, 0, 0});
    CHECK(b.lengths == std::vector<int64_t>{4, 2});
    data::PaddedBatch t = data::pad_batch({{5}, {6, 7}}, {.prepend_bos = true, .append_eos = true, .pad_id = 9});
    CHECK(t.ids.tolist() == std::vector<double>{1, 5, 2, 9, 1, 6, 7, 2});
    CHECK(t.lengths == std::vector<int64_t>{3, 4});
    CHECK(data::pad_batch({}).ids.shape() == Shape{0, 0});
  }
}
