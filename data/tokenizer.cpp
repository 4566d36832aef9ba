// The translation protocol's tokenizer: a small UTF-8 decoder, a lowercase table for the Latin scripts, and the
// punctuation and whitespace rules (see tokenizer.h).
#include "data/tokenizer.h"

#include <cstdint>

namespace glimpse::data {
namespace {

// Past the last code point: what an invalid byte decodes to (0x110000 + byte), so no rule below ever matches it.
constexpr char32_t kInvalid = 0x110000;

// Decodes the code point at text[i] and advances i; an invalid byte is consumed alone and decodes to kInvalid + byte.
char32_t next_code_point(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  int extra = b0 < 0x80 ? 0 : (b0 >> 5) == 0x6 ? 1 : (b0 >> 4) == 0xE ? 2 : (b0 >> 3) == 0x1E ? 3 : -1;
  if (extra < 0 || (extra > 0 && i + extra >= text.size())) {  // not a lead byte, or cut off by the end
    ++i;
    return kInvalid + b0;
  }
  char32_t cp = extra == 0 ? b0 : (b0 & (0x3F >> extra));
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {  // a broken sequence: keep the lead byte alone
      ++i;
      return kInvalid + b0;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Unicode's simple lowercase mapping for ASCII, Latin-1 and Latin Extended-A.
char32_t to_lower(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // À..Þ except ×
  if (c == 0x178) return 0xFF;                             // Ÿ -> ÿ
  if (c == 0x130) return U'i';                             // İ -> i
  // Latin Extended-A pairs upper/lower as even/odd, except 0x139..0x148 and 0x179..0x17E where it is odd/even.
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c % 2 == 1 ? c + 1 : c;
  if (c >= 0x100 && c <= 0x177 && c != 0x138) return c % 2 == 0 ? c + 1 : c;
  return c;
}

// What Python's str.split() treats as whitespace, which the protocol's reference used.
bool is_space(char32_t c) {
  return c == U' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool is_split_punctuation(char32_t c) { return c == U'.' || c == U'!' || c == U'?' || c == U','; }

}  // namespace

std::string lowercase_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(text, i);
    const char32_t lower = to_lower(cp);
    if (lower == cp) {
      out.append(text.substr(start, i - start));  // unchanged bytes, invalid ones included
    } else {
      append_utf8(out, lower);
    }
  }
  return out;
}

std::vector<std::string> tokenize(std::string_view line) {
  const std::string lower = lowercase_utf8(line);
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) tokens.push_back(std::move(current));
    current.clear();
  };
  for (size_t i = 0; i < lower.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(lower, i);
    if (is_space(cp)) {
      flush();
    } else if (is_split_punctuation(cp)) {  // " . " then split: the mark is a token of its own
      flush();
      tokens.emplace_back(1, static_cast<char>(cp));
    } else {
      current.append(lower, start, i - start);
    }
  }
  flush();
  return tokens;
}

std::string join_tokens(const std::vector<std::string>& tokens) {
  std::string out;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (k) out += ' ';
    out += tokens[k];
  }
  return out;
}

}  // namespace glimpse::data
