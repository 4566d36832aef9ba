// The word tokenizer of the translation protocol (issue 12), the same on both sides of a pair:
//   lowercase; one space on each side of every `. ! ? ,`; split on whitespace, Unicode spaces included (the French
//   side of Tatoeba writes U+202F NARROW NO-BREAK SPACE before `!` and `?`, and sometimes U+2009 THIN SPACE).
// Apostrophes and hyphens stay inside tokens and accents are kept:
//   tokenize("J'en veux.")   -> {"j'en", "veux", "."}
//   tokenize("Arrête-toi !") -> {"arrête-toi", "!"}
// Text is UTF-8. Lowercasing covers ASCII, Latin-1 and Latin Extended-A (À..Þ, Œ, Ÿ, ...), everything a European
// language pair needs; other scripts pass through unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glimpse::data {

// "Ça VA ?" -> "ça va ?"; invalid UTF-8 bytes are kept as they are.
std::string lowercase_utf8(std::string_view text);

// One line -> its tokens (empty for a blank line).
std::vector<std::string> tokenize(std::string_view line);

// Tokens joined by one space, the inverse of tokenize for its own output.
std::string join_tokens(const std::vector<std::string>& tokens);

}  // namespace glimpse::data
