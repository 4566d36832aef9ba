// Tests for data/tokenizer: the translation protocol's tricky cases (apostrophes, hyphens, accents, U+202F and
// U+2009 before punctuation, several marks in a row), lowercasing of accented capitals, invalid UTF-8.
#include <doctest/doctest.h>

#include "data/tokenizer.h"

using glimpse::data::join_tokens;
using glimpse::data::lowercase_utf8;
using glimpse::data::tokenize;
using Tokens = std::vector<std::string>;

TEST_SUITE("tokenizer") {
  TEST_CASE("the protocol's cases: apostrophes and hyphens stay inside tokens, marks split off") {
    CHECK(tokenize("J'en veux.") == Tokens{"j'en", "veux", "."});
    CHECK(tokenize("Arrête-toi !") == Tokens{"arrête-toi", "!"});
    CHECK(tokenize("Go.") == Tokens{"go", "."});
    CHECK(tokenize("Wait, what?!") == Tokens{"wait", ",", "what", "?", "!"});
    CHECK(tokenize("I don't know...") == Tokens{"i", "don't", "know", ".", ".", "."});
    CHECK(tokenize("") == Tokens{});
    CHECK(tokenize("  \t ") == Tokens{});
  }

  TEST_CASE("Unicode spaces split: U+202F before ! and U+2009") {
    CHECK(tokenize("Va\u202f!") == Tokens{"va", "!"});
    CHECK(tokenize("Qui\u2009?") == Tokens{"qui", "?"});
    CHECK(tokenize("a\u00a0b") == Tokens{"a", "b"});           // no-break space
    CHECK(tokenize("l\u2019homme") == Tokens{"l\u2019homme"});  // a typographic apostrophe is not a space
  }

  TEST_CASE("lowercasing keeps accents and lowers accented capitals") {
    CHECK(lowercase_utf8("Ça VA ? Être À l'ÉCOLE") == "ça va ? être à l'école");
    CHECK(lowercase_utf8("ŒUVRE Ÿ Ô") == "œuvre ÿ ô");
    CHECK(lowercase_utf8("×") == "×");  // the multiplication sign is not a letter
    CHECK(tokenize("Ça va ?") == Tokens{"ça", "va", "?"});
    CHECK(join_tokens(tokenize("Arrête-toi !")) == "arrête-toi !");
  }

  TEST_CASE("invalid UTF-8 passes through unchanged, never read past the end") {
    const std::string bad = std::string("A\xC3") + "";  // a lead byte cut off by the end of the text
    CHECK(lowercase_utf8(bad) == std::string("a\xC3"));
    CHECK(lowercase_utf8(std::string("\xFF\x80Z")) == std::string("\xFF\x80z"));
    CHECK(tokenize(std::string("\xE2\x80 x")) == Tokens{std::string("\xE2\x80"), "x"});
  }
}
