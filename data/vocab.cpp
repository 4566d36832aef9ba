// data::Vocab: counting, the protocol's order (count down, then code points), encode and decode.
#include "data/vocab.h"

#include <algorithm>
#include <map>

#include "tensor/error.h"

namespace glimpse::data {

Vocab Vocab::build(const std::vector<std::vector<std::string>>& sentences, int64_t min_count) {
  std::map<std::string, int64_t> counts;  // std::string compares bytes, and UTF-8 byte order is code-point order
  for (const auto& sentence : sentences) {
    for (const auto& t : sentence) ++counts[t];
  }
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> tokens{"<pad>", "<bos>", "<eos>", "<unk>"};
  for (const auto& [t, n] : sorted) {
    if (n >= min_count && t != "<pad>" && t != "<bos>" && t != "<eos>" && t != "<unk>") tokens.push_back(t);
  }
  return from_tokens(std::move(tokens));
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens) {
  check(tokens.size() >= 4 && tokens[0] == "<pad>" && tokens[1] == "<bos>" && tokens[2] == "<eos>" &&
            tokens[3] == "<unk>",
        "Vocab::from_tokens: the first four tokens must be <pad> <bos> <eos> <unk> (got {} tokens)", tokens.size());
  Vocab v;
  v.tokens_ = std::move(tokens);
  for (size_t i = 0; i < v.tokens_.size(); ++i) {
    const bool fresh = v.index_.emplace(v.tokens_[i], static_cast<int64_t>(i)).second;
    check(fresh, "Vocab::from_tokens: token '{}' appears twice (ids {} and {})", v.tokens_[i], v.index_[v.tokens_[i]],
          i);
  }
  return v;
}

int64_t Vocab::id(const std::string& token) const {
  auto it = index_.find(token);
  return it == index_.end() ? kUnk : it->second;
}

const std::string& Vocab::token(int64_t id) const {
  check(id >= 0 && id < size(), "Vocab::token: id {} is outside [0, {})", id, size());
  return tokens_[id];
}

std::vector<int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back(id(t));
  return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  for (int64_t i : ids) {
    if (i == kEos) break;
    if (i == kPad || i == kBos) continue;
    out.push_back(token(i));
  }
  return out;
}

}  // namespace glimpse::data
