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

namespace {
// The ids of `text` as T (int64_t or uint8_t), through the byte -> id table; an Error for an unknown character.
template <class T>
std::vector<T> encode_as(const std::string& text, const std::array<int64_t, 256>& id, const std::string& chars) {
  std::vector<T> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int64_t k = id[static_cast<unsigned char>(text[i])];
    if (k < 0) {
      std::string known;
      for (char c : chars) known += (c == '\n' ? std::string("\\n") : std::string(1, c));
      throw Error(fmt::format("CharVocab.encode: character {} at position {} is not in the vocabulary of {} "
                              "characters (those of the training text: \"{}\"); use only those characters",
                              describe_char(text[i]), i, chars.size(), known));
    }
    ids[i] = static_cast<T>(k);
  }
  return ids;
}
}  // namespace

std::vector<int64_t> CharVocab::encode(const std::string& text) const { return encode_as<int64_t>(text, id_, chars_); }

std::vector<uint8_t> CharVocab::encode_bytes(const std::string& text) const {
  return encode_as<uint8_t>(text, id_, chars_);  // at most 256 distinct bytes, so ids are 0..255
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
