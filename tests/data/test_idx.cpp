// Tests for data/idx.cpp: hand-made tiny IDX files (plain and gzip, uint8/int16/float32), and clear errors for a
// truncated file, a file that is not IDX, trailing bytes and a missing file.
#include <doctest/doctest.h>

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "data/idx.h"

using namespace glimpse;

namespace {

std::string temp_path(const std::string& name) { return std::string(GLIMPSE_BINARY_DIR) + "/test_data_" + name; }

void write_plain(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(f);
}

// A 2 x 3 uint8 array 0, 1, 2, 250, 254, 255 with its IDX header.
const std::vector<uint8_t> kTiny = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 250, 254, 255};

}  // namespace

TEST_SUITE("idx") {
  TEST_CASE("a hand-made uint8 file, plain and gzip-compressed") {
    for (bool gz : {false, true}) {
      const std::string path = temp_path(gz ? "tiny.idx.gz" : "tiny.idx");
      gz ? write_gzip(path, kTiny) : write_plain(path, kTiny);
      Tensor t = data::read_idx(path);
      CHECK(t.shape() == Shape{2, 3});
      CHECK(t.dtype() == kFloat32);
      CHECK(t.tolist() == std::vector<double>{0, 1, 2, 250, 254, 255});
      CHECK(data::read_idx(path, kInt64).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 250, 254, 255});
      std::remove(path.c_str());
    }
  }

  TEST_CASE("big-endian int16 and float32 elements") {
    const std::string path = temp_path("typed.idx");
    write_plain(path, {0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE});
    CHECK(data::read_idx(path, kInt64).to_vector<int64_t>() == std::vector<int64_t>{258, -2});
    write_plain(path, {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0x00, 0x00});  // 1.5f
    CHECK(data::read_idx(path, kFloat64).tolist() == std::vector<double>{1.5});
    std::remove(path.c_str());
  }

  TEST_CASE("a truncated file is a clear error, in the data or in the sizes") {
    const std::string path = temp_path("truncated.idx.gz");
    write_gzip(path, std::vector<uint8_t>(kTiny.begin(), kTiny.end() - 2));
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("truncated"), Error);
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("only 4 were left"), Error);
    write_gzip(path, std::vector<uint8_t>(kTiny.begin(), kTiny.begin() + 9));
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("sizes"), Error);
    std::remove(path.c_str());
  }

  TEST_CASE("not IDX, trailing bytes and a missing file are clear errors") {
    const std::string path = temp_path("bad.idx");
    write_plain(path, {'P', 'K', 3, 4, 0, 0, 0, 0});
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("not an IDX file"), Error);
    write_plain(path, {0, 0, 0x07, 1, 0, 0, 0, 1, 0});
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("not an IDX file"), Error);
    std::vector<uint8_t> longer = kTiny;
    longer.push_back(7);
    write_plain(path, longer);
    CHECK_THROWS_WITH_AS(data::read_idx(path), doctest::Contains("after the 6 elements"), Error);
    std::remove(path.c_str());
    CHECK_THROWS_WITH_AS(data::read_idx(temp_path("no_such_file.idx")), doctest::Contains("cannot open"), Error);
  }
}
