// luv verify's whole searches: v2 and v2-warn, alike but in the rules the
// code asks, searched whole as one search beside the other rows, give each
// variant's explore column what that variant's own whole search gives.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "explore/explore.h"
#include "verify/verify.h"

namespace luv {
namespace {

constexpr int kCalls = 3;  // a bound whose whole search ends in seconds

// Per property, what a variant's own whole search (both modes, one lazy
// search per twin group) says: violated in either mode, else holds.
std::map<PropertyId, Status> own_search(const std::string& variant) {
  std::map<PropertyId, Status> out;
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    ExploreOptions eo;
    eo.variant = variant;
    eo.mode = mode;
    eo.calls = kCalls;
    eo.lazy_op_sets = true;
    eo.jobs = 2;
    ExploreResult r = explore(eo);
    EXPECT_TRUE(r.stats.complete) << variant;
    for (const PropertyOutcome& o : r.report.outcomes)
      if (out[o.property] != Status::violated) out[o.property] = o.status;
  }
  return out;
}

TEST(VerifyWhole, v2_and_v2_warn_searched_together_say_what_their_own_searches_say) {
  VerifyOptions o;
  o.variants = {"v2", "v2-warn"};
  o.corpus = read_corpus(LUV_CORPUS_DIR);
  o.explore_calls = kCalls;
  o.budget_seconds = 600;  // not cut: the test is about the verdicts
  VerifyReport report = verify(o);
  for (const std::string& note : report.notes) EXPECT_EQ(note.find("sample"), std::string::npos) << note;
  for (const std::string& v : o.variants) {
    std::map<PropertyId, Status> own = own_search(v);
    int cells = 0;
    for (const MatrixCell& c : report.cells) {
      if (c.variant != v || c.engine != "explore") continue;
      ++cells;
      ASSERT_TRUE(own.count(c.property)) << v << " " << property_name(c.property);
      EXPECT_EQ(std::string(status_name(c.status)), status_name(own[c.property])) << v << " " << property_name(c.property) << ": " << c.how;
    }
    EXPECT_EQ(cells, PROPERTY_COUNT) << v;
  }
}

// An interrupt while verify waits for its whole searches (the checkpoint
// throws, as the CLI's does) ends the run with that throw; the searches are
// abandoned, not waited for.
TEST(VerifyWhole, an_interrupt_while_waiting_for_the_whole_searches_ends_the_run) {
  struct interrupted {};
  VerifyOptions o;
  o.variants = {"v2", "v2-warn"};  // the default bound: their whole search takes a minute
  o.corpus = read_corpus(LUV_CORPUS_DIR);
  o.budget_seconds = 20;  // short rows (their proofs to depth 2, fewer Scenarios checked)
  std::string phase;
  o.phase = [&](const std::string& what) { phase = what; };
  o.checkpoint = [&] {
    if (phase.starts_with("explore, the whole bound")) throw interrupted{};
  };
  EXPECT_THROW(verify(o), interrupted);
  EXPECT_TRUE(phase.starts_with("explore, the whole bound: ")) << phase;
}

}  // namespace
}  // namespace luv
