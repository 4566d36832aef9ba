// PNG encoding (8-bit RGB, zlib-compressed) and data URIs, so a figure can embed a picture in its SVG: an image is
// one <image href="data:image/png;base64,..."> element instead of thousands of one-pixel rectangles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::viz {

// rgb: height * width * 3 bytes, row-major -> the bytes of a PNG file.
std::string encode_png_rgb(const std::vector<uint8_t>& rgb, int width, int height);

// Standard base64 (RFC 4648, with padding).
std::string base64(const std::string& bytes);

// "data:image/png;base64,..." of an RGB image.
std::string png_data_uri(const std::vector<uint8_t>& rgb, int width, int height);

}  // namespace glimpse::viz
