// Tests for viz/png.h: the PNG's chunks and CRCs, its pixels read back with zlib, base64 against RFC 4648's vectors.
#include <doctest/doctest.h>

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "viz/png.h"

using namespace glimpse;

namespace {
uint32_t u32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<uint8_t>(s[at + k]);
  return v;
}
}  // namespace

TEST_SUITE("png") {
  TEST_CASE("a 3x2 RGB image: signature, IHDR, valid CRCs, and the pixels back through inflate") {
    std::vector<uint8_t> rgb;
    for (int i = 0; i < 3 * 2 * 3; ++i) rgb.push_back(static_cast<uint8_t>(i * 13));
    const std::string png = viz::encode_png_rgb(rgb, 3, 2);
    REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n"));
    size_t at = 8;
    std::string idat;
    std::vector<std::string> types;
    while (at < png.size()) {
      const uint32_t len = u32(png, at);
      const std::string type = png.substr(at + 4, 4);
      const std::string body = png.substr(at + 4, 4 + len);
      CHECK(u32(png, at + 8 + len) ==
            crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
      if (type == "IHDR") {
        CHECK(u32(png, at + 8) == 3);
        CHECK(u32(png, at + 12) == 2);
      }
      if (type == "IDAT") idat = png.substr(at + 8, len);
      types.push_back(type);
      at += 12 + len;
    }
    CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
    std::vector<uint8_t> raw(2 * (1 + 9));
    uLongf raw_size = raw.size();
    REQUIRE(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
    CHECK(raw_size == raw.size());
    CHECK(raw[0] == 0);  // filter type of row 0
    CHECK(raw[1 + 4] == rgb[4]);
    CHECK(raw[10 + 1 + 8] == rgb[9 + 8]);
  }

  TEST_CASE("base64 matches RFC 4648's test vectors") {
    CHECK(viz::base64("") == "");
    CHECK(viz::base64("f") == "Zg==");
    CHECK(viz::base64("fo") == "Zm8=");
    CHECK(viz::base64("foo") == "Zm9v");
    CHECK(viz::base64("foobar") == "Zm9vYmFy");
    CHECK(viz::png_data_uri({0, 0, 0}, 1, 1).rfind("data:image/png;base64,iVBORw0KGgo", 0) == 0);
  }

  TEST_CASE("a wrong byte count is an error") {
    CHECK_THROWS_AS(viz::encode_png_rgb({1, 2, 3}, 2, 1), Error);
  }
}
