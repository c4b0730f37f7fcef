// The notes `luv verify` adds under its matrix.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "verify/verify.h"

namespace luv {
namespace {

// The variants whose explore column was a sample: named, with where their
// unknown cells are decided.
TEST(VerifyNotes, a_sampled_explore_column_says_where_the_whole_bound_is) {
  std::string note = sampled_note({"v3", "v4"});
  EXPECT_NE(note.find("for v3, v4 "), std::string::npos) << note;
  EXPECT_NE(note.find("luv explore --variant V --mode M"), std::string::npos) << note;
}

// Searched whole: the reference on its own (it must violate nothing), v2
// and v2-warn as one search (alike but in an asked rule); v3 and v4, which
// differ in more and violate something, are samples.
TEST(VerifyWhole, the_reference_alone_and_v2_with_v2_warn_are_searched_whole) {
  VerifyOptions o;
  o.corpus = read_corpus(LUV_CORPUS_DIR);
  o.variants = {"reference", "v2", "v2-warn", "v3", "v4"};
  using groups = std::vector<std::vector<std::string>>;
  EXPECT_EQ(whole_groups(o), (groups{{"reference"}, {"v2", "v2-warn"}}));
  o.variants = {"v4", "v2-warn", "v3", "v2"};
  EXPECT_EQ(whole_groups(o), (groups{{"v2-warn", "v2"}}));
  o.variants = {"v2"};
  EXPECT_EQ(whole_groups(o), groups{});
  o.variants = {"reference+mutant:skip_refcount_get", "v3"};
  EXPECT_EQ(whole_groups(o), (groups{{"reference+mutant:skip_refcount_get"}}));
}

}  // namespace
}  // namespace luv
