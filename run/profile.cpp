// --profile for the examples (see profile.h).
#include "run/profile.h"

#include <fmt/format.h>

#include "viz/profile_chart.h"
#include "viz/svg.h"

namespace glimpse::run {

std::filesystem::path show_profile(const TapeProfile& profile, const std::filesystem::path& out,
                                   const std::string& title) {
  fmt::print("\n--- tape profile: {} (per op name; every op in {}) ---\n{}", title, (out / "profile.txt").string(),
             profile.summary());
  viz::save(out / "profile.txt", profile.table());
  const std::filesystem::path figure = out / "profile.svg";
  viz::save(figure, viz::profile_chart(profile, {.title = "tape profile: " + title}));
  return figure;
}

}  // namespace glimpse::run
