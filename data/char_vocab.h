// data::CharVocab: a character-level vocabulary, one token per distinct character of a text (nanoGPT's
// shakespeare_char prepare.py: `chars = sorted(set(data))`, stoi / itos).
//
//   data::CharVocab vocab = data::CharVocab::from_text(text);   // 65 characters for tiny shakespeare
//   std::vector<int64_t> ids = vocab.encode("ROMEO:");           // Error naming any character it does not know
//   std::string back = vocab.decode(ids);
//
// Characters are bytes: for ASCII text (tiny shakespeare) this is exactly nanoGPT's vocabulary; a UTF-8 text gets one
// token per byte of its multi-byte characters.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace glimpse::data {

class CharVocab {
 public:
  // The sorted distinct characters of `text`.
  static CharVocab from_text(const std::string& text);
  // From the characters themselves, in token order (as saved with a checkpoint); they must be distinct.
  explicit CharVocab(std::string chars);

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  const std::string& chars() const { return chars_; }
  bool contains(char c) const { return id_[static_cast<unsigned char>(c)] >= 0; }

  // A character not in the vocabulary is an Error naming it, its position and what the vocabulary holds.
  std::vector<int64_t> encode(const std::string& text) const;
  // text -> [N] int64
  Tensor encode_tensor(const std::string& text) const;
  // The ids as bytes (a vocabulary of bytes has at most 256 tokens, so every id fits one): 1 byte per character
  // instead of 8, for a corpus held in memory (data::TextBlocks). Same errors as encode.
  std::vector<uint8_t> encode_bytes(const std::string& text) const;
  // Ids outside [0, size()) are an Error.
  std::string decode(const std::vector<int64_t>& ids) const;

 private:
  std::string chars_;
  std::array<int64_t, 256> id_{};  // byte -> token id, -1 when absent
};

// A character as a reader would want it in a message: 'a', '\n', '\x07'.
std::string describe_char(char c);

}  // namespace glimpse::data
