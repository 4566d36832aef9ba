// data::Vocab: tokens <-> ids for one side of a translation corpus (or any token stream).
//
// The ids are fixed by the protocol of issue 12 so that a model compares with a PyTorch reference: the four specials
// first (<pad> = 0, <bos> = 1, <eos> = 2, <unk> = 3), then every token of the TRAINING text by descending count, ties
// broken by code points (byte order of UTF-8 is code-point order). A word never seen in training encodes as <unk>.
//
//   data::Vocab fr = data::Vocab::build(train_french_sentences);
//   std::vector<int64_t> ids = fr.encode({"je", "suis", "là", "."});
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace glimpse::data {

class Vocab {
 public:
  static constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kUnk = 3;

  // The specials, then the tokens of `sentences` by descending count, ties by code points. min_count drops rarer ones.
  static Vocab build(const std::vector<std::vector<std::string>>& sentences, int64_t min_count = 1);
  // A vocabulary from its id -> token list (as saved in a checkpoint); the first four must be the specials.
  static Vocab from_tokens(std::vector<std::string> tokens);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  // The token's id, or kUnk.
  int64_t id(const std::string& token) const;
  bool contains(const std::string& token) const { return index_.count(token) != 0; }
  // The id's token; an Error for an id outside [0, size).
  const std::string& token(int64_t id) const;
  std::vector<int64_t> encode(const std::vector<std::string>& tokens) const;
  // ids -> tokens, stopping before the first <eos> and skipping <pad> and <bos>.
  std::vector<std::string> decode(const std::vector<int64_t>& ids) const;
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace glimpse::data
