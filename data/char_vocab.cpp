// data::CharVocab: building the table, encoding with clear errors, decoding.
#include "data/char_vocab.h"

#include <fmt/format.h>

#include <algorithm>

namespace glimpse::data {

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '\n') return "'\\n'";
  if (c == '\t') return "'\\t'";
  if (c == '\'') return "'\\''";
  if (u < 0x20 || u >= 0x7f) return fmt::format("'\\x{:02x}'", u);
  return fmt::format("'{}'", c);
}

CharVocab CharVocab::from_text(const std::string& text) {
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  std::string chars;
  for (int b = 0; b < 256; ++b) {
    if (seen[static_cast<size_t>(b)]) chars.push_back(static_cast<char>(b));
  }
  return CharVocab(chars);
}

CharVocab::CharVocab(std::string chars) : chars_(std::move(chars)) {
  id_.fill(-1);
  for (size_t i = 0; i < chars_.size(); ++i) {
    auto& slot = id_[static_cast<unsigned char>(chars_[i])];
    check(slot < 0, "CharVocab: character {} appears twice in the vocabulary", describe_char(chars_[i]));
    slot = static_cast<int64_t>(i);
  }
}

std::vector<int64_t> CharVocab::encode(const std::string& text) const {
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    ids[i] = id_[static_cast<unsigned char>(text[i])];
    if (ids[i] < 0) {
      std::string known;
      for (char c : chars_) known += (c == '\n' ? std::string("\\n") : std::string(1, c));
      throw Error(fmt::format("CharVocab.encode: character {} at position {} is not in the vocabulary of {} "
                              "characters (those of the training text: \"{}\"); use only those characters",
                              describe_char(text[i]), i, chars_.size(), known));
    }
  }
  return ids;
}

// text -> [N] int64
Tensor CharVocab::encode_tensor(const std::string& text) const {
  std::vector<int64_t> ids = encode(text);
  return tensor(ids, {static_cast<int64_t>(ids.size())});
}

std::string CharVocab::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    check(id >= 0 && id < size(), "CharVocab.decode: id {} is outside the vocabulary [0, {})", id, size());
    out.push_back(chars_[static_cast<size_t>(id)]);
  }
  return out;
}

}  // namespace glimpse::data
