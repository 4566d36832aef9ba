// Tests for data/bleu against values computed by hand: a perfect match, a zero n-gram precision, clipping, the
// brevity penalty, and corpus-level (not sentence-averaged) sums.
#include <doctest/doctest.h>

#include <cmath>

#include "data/bleu.h"
#include "tensor/error.h"

using namespace glimpse::data;

TEST_SUITE("bleu") {
  TEST_CASE("identical sentences score 100") {
    CHECK(corpus_bleu({{"the", "cat", "sat", "on", "the", "mat"}}, {{"the", "cat", "sat", "on", "the", "mat"}}) ==
          doctest::Approx(100.0));
  }

  TEST_CASE("clipping, and a zero bigram precision makes the score 0 (no smoothing)") {
    BleuStats st = bleu_stats({{"the", "the", "the"}}, {{"the", "cat"}});
    CHECK(st.matches[0] == 1);  // "the" three times, clipped to the reference's one
    CHECK(st.totals[0] == 3);
    CHECK(st.matches[1] == 0);
    CHECK(st.score() == 0.0);
    CHECK(corpus_bleu({{}}, {{"a"}}) == 0.0);  // empty hypotheses
  }

  TEST_CASE("brevity penalty: 4 words against 6, every n-gram right, BLEU = exp(1 - 6/4)") {
    BleuStats st = bleu_stats({{"a", "b", "c", "d"}}, {{"a", "b", "c", "d", "e", "f"}});
    CHECK(st.brevity_penalty() == doctest::Approx(std::exp(-0.5)));
    CHECK(corpus_bleu({{"a", "b", "c", "d"}}, {{"a", "b", "c", "d", "e", "f"}}) ==
          doctest::Approx(100 * std::exp(-0.5)));
    // Longer than the reference: no penalty (the precisions punish it instead).
    CHECK(bleu_stats({{"a", "b", "c", "d", "e"}}, {{"a", "b", "c", "d"}}).brevity_penalty() == 1.0);
  }

  TEST_CASE("corpus-level sums: p_n adds matches and totals over sentences before dividing") {
    // 1: a b c d vs a b c d -> 4/4, 3/3, 2/2, 1/1.  2: a x c d vs a b c d -> 3/4, 1/3 (c d), 0/2, 0/1.
    const double expected = 100 * std::pow((7.0 / 8) * (4.0 / 6) * (2.0 / 4) * (1.0 / 2), 0.25);
    CHECK(corpus_bleu({{"a", "b", "c", "d"}, {"a", "x", "c", "d"}}, {{"a", "b", "c", "d"}, {"a", "b", "c", "d"}}) ==
          doctest::Approx(expected));
    CHECK_THROWS_WITH_AS(corpus_bleu({{"a"}}, {}), doctest::Contains("1 hypotheses but 0 references"),
                         glimpse::Error);
  }
}
