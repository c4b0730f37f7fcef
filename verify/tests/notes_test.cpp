// The notes `luv verify` adds under its matrix.
#include <gtest/gtest.h>

#include <string>

#include "verify/verify.h"

namespace luv {
namespace {

// The variants whose explore column was a sample: named, with where their
// unknown cells are decided; v2 and v2-warn, alike but in an asked rule, as
// one search, and no pair offered for variants that differ in more.
TEST(VerifyNotes, a_sampled_explore_column_says_where_the_whole_bound_is) {
  std::string all = sampled_note({"v2", "v2-warn", "v3", "v4"});
  EXPECT_NE(all.find("for v2, v2-warn, v3, v4 "), std::string::npos) << all;
  EXPECT_NE(all.find("luv explore --variant V --mode M"), std::string::npos) << all;
  EXPECT_NE(all.find("v2 and v2-warn as one search: luv explore --variant v2 --searched-with v2-warn"), std::string::npos)
      << all;
  std::string apart = sampled_note({"v3", "v4"});
  EXPECT_EQ(apart.find("--searched-with"), std::string::npos) << apart;
}

}  // namespace
}  // namespace luv
