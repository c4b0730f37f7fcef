// --shard i/N and `luv merge`: the merged shards of a run are that run (its
// verdicts, counterexample files, totals and exit code), for explore, check
// and mutants; bad shard values and bad sets of shards are one line, exit 2.
// And explore's other ways to the same report: --no-snapshots, and variants
// searched together (--searched-with).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/tests/luv_process.h"

namespace {

namespace fs = std::filesystem;
using luv_test::Outcome;
using nlohmann::json;

// A fresh folder for one test's reports.
std::string folder(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("luv_shard_test." + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

json read_json(const std::string& path) { return json::parse(luv_test::read_file(path)); }

// What may differ between one run and its merged shards (or its replaying
// twin): the time and memory they took, and where the files went. A counterexample's path is
// replaced by the file's contents, which must not differ.
json comparable(json j) {
  if (j.is_object()) {
    // ... and, with equivalent op sets, which choices were searched (timing decides it with two jobs).
    for (const char* key : {"seconds", "states_per_second", "peak_rss_bytes", "snapshots", "snapshot_bytes_max",
                            "choices_covered", "covered", "states_searched"})
      j.erase(key);
    if (j.contains("counterexample") && j["counterexample"].is_string())
      j["counterexample"] = luv_test::read_file(j["counterexample"].get<std::string>());
  }
  if (j.is_structured())
    for (auto& item : j) item = comparable(item);
  return j;
}

// `luv COMMAND ARGS --shard i/N --json` for each i, then `luv merge`: the
// merged report's path, after the merge exited with `exit_code`.
std::string merged_shards(const std::string& dir, const std::string& command, const std::string& args, int n,
                          int exit_code) {
  std::string shards, out = dir + "/merged-" + std::to_string(n);
  fs::create_directory(out);
  for (int i = 1; i <= n; ++i) {
    std::string path = dir + "/shard-" + std::to_string(i) + "-of-" + std::to_string(n) + ".json";
    Outcome s = luv_test::run_luv(command + " " + args + " --shard " + std::to_string(i) + "/" + std::to_string(n) +
                                  " --json " + path);
    EXPECT_LE(s.exit_code, 1) << s.err;
    shards = " " + path + shards;  // in reverse: merge puts them in order
  }
  Outcome merged = luv_test::run_luv("merge" + shards + " --json " + out + "/merged.json");
  EXPECT_EQ(merged.exit_code, exit_code) << merged.err << merged.out;
  return out + "/merged.json";
}

// `luv COMMAND ARGS` run whole, then split `n` ways for each n and merged:
// the same report and exit code. `ignore` lists what the shards may add up
// to differently (check's runs and calls: shrinking a finding another shard beat).
void expect_merges_are_one_run(const std::string& name, const std::string& command, const std::string& args,
                               const std::vector<int>& splits, const std::vector<std::string>& ignore = {}) {
  std::string dir = folder(name);
  Outcome one = luv_test::run_luv(command + " " + args + " --json " + dir + "/one.json");
  ASSERT_LE(one.exit_code, 1) << one.err;
  json a = comparable(read_json(dir + "/one.json"));
  for (const std::string& key : ignore) a.erase(key);
  for (int n : splits) {
    json b = comparable(read_json(merged_shards(dir, command, args, n, one.exit_code)));
    for (const std::string& key : ignore) b.erase(key);
    EXPECT_EQ(a, b) << name << " split " << n << " ways";
  }
}

// Eight op-set choices, so that 8 shards have one each. Adversarial mode
// without faults, to keep each test within seconds. A search per choice, as
// each shard's is (a lazy search would share states between choices).
const char* kChoices = " --threads 2 --calls 2 --iommu1-ops 15,5,7,0 --domain1-ops 3,1 --no-lazy-op-sets -q";
const std::string kContract = std::string("--mode contract --faults 1") + kChoices;
const std::string kAdversarial = std::string("--mode adversarial --faults 0") + kChoices;

// Explore on one variant, caller mode and search, split 2, 4 and 8 ways.
struct ExploreCase {
  const char* variant;
  bool adversarial, bfs;
};

void PrintTo(const ExploreCase& c, std::ostream* out) {
  *out << c.variant << (c.adversarial ? " adversarial" : " contract") << (c.bfs ? " bfs" : " dfs");
}

class ShardsExplore : public testing::TestWithParam<ExploreCase> {};

TEST_P(ShardsExplore, merged_is_one_run) {
  const ExploreCase& c = GetParam();
  std::string name = std::string(c.variant) + (c.adversarial ? "-adv" : "-contract") + (c.bfs ? "-bfs" : "");
  std::string args = std::string("--variant ") + c.variant + (c.bfs ? " --bfs " : " ") +
                     (c.adversarial ? kAdversarial : kContract);
  expect_merges_are_one_run(name, "explore", args, {2, 4, 8});
}

INSTANTIATE_TEST_SUITE_P(Shards, ShardsExplore,
                         testing::Values(ExploreCase{"reference", false, false}, ExploreCase{"reference", false, true},
                                         ExploreCase{"reference", true, false}, ExploreCase{"reference", true, true},
                                         ExploreCase{"v2", false, false}, ExploreCase{"v2", false, true},
                                         ExploreCase{"v2", true, false}, ExploreCase{"v2", true, true}),
                         [](const testing::TestParamInfo<ExploreCase>& i) {
                           return std::string(i.param.variant) + (i.param.adversarial ? "_adversarial" : "_contract") +
                                  (i.param.bfs ? "_bfs" : "_dfs");
                         });

// A state limit keeps its share per op-set choice of the whole bound, so the
// shards are cut where the one run is.
TEST(Shards, explore_cut_by_the_state_limit) {
  expect_merges_are_one_run("v2-cut", "explore", "--variant v2 --states-max 4000 " + kContract, {3});
  json one = read_json((fs::temp_directory_path() / ("luv_shard_test." + std::to_string(::getpid())) / "v2-cut" /
                        "one.json").string());
  EXPECT_EQ(one["stats"]["complete"], false);
}

TEST(Shards, check) {
  for (const char* args : {"--variant v2 --mode contract --tests 150 --seed 3",
                           "--variant v2 --mode adversarial --tests 300 --seed 1",
                           "--variant v4 --mode adversarial --tests 300 --seed 7",
                           "--variant reference --mode adversarial --tests 150 --seed 2"})
    expect_merges_are_one_run(std::string("check-") + std::to_string(std::hash<std::string>{}(args)), "check", args,
                              {2, 3}, {"runs", "calls"});
}

TEST(Shards, mutants) {
  expect_merges_are_one_run("mutants", "mutants",
                            "--check-tests 50 --only keep_error_record_live restore_deleted skip_free_device_array "
                            "flb_version_unset warn_without_refusing",
                            {2, 5});
}

// One line on stderr naming --shard, exit 2, nothing run.
void expect_bad_shard(const std::string& args) {
  Outcome o = luv_test::run_luv(args);
  EXPECT_EQ(o.exit_code, 2) << args << ": " << o.out << o.err;
  EXPECT_EQ(luv_test::lines(o.err), 1) << args << ": " << o.err;
  EXPECT_EQ(o.err.rfind("luv: --shard: ", 0), 0u) << args << ": " << o.err;
}

TEST(Shards, a_bad_shard_is_one_line_and_exit_2) {
  for (const char* shard : {"0/4", "5/4", "1/0", "x", "1/", "/4", "-1/4", "2/4/6", "1.5/4"}) {
    expect_bad_shard(std::string("explore --variant reference --calls 1 -q --shard ") + shard);
    expect_bad_shard(std::string("check --tests 10 --shard ") + shard);
    expect_bad_shard(std::string("mutants --only restore_deleted --shard ") + shard);
  }
  // More shards than op-set choices, tests or mutants: refused, not split further.
  expect_bad_shard("explore --variant reference --calls 1 -q --iommu1-ops 15 --domain1-ops 3,1 --shard 1/3");
  expect_bad_shard("check --tests 2 --shard 1/3");
  expect_bad_shard("mutants --only restore_deleted --shard 1/2");
}

// `luv merge` refuses a set of shards that is not one run: one line, exit 2.
TEST(Shards, merge_refuses_shards_that_are_not_one_run) {
  std::string dir = folder("bad-merge");
  auto shard = [&](const std::string& command, const std::string& args, const std::string& which) {
    std::string path = dir + "/" + command + "-" + std::to_string(std::hash<std::string>{}(args + which)) + ".json";
    Outcome o = luv_test::run_luv(command + " " + args + " --shard " + which + " --json " + path);
    EXPECT_LE(o.exit_code, 1) << o.err;
    return path;
  };
  std::string e1 = shard("explore", "--variant reference --calls 1 -q", "1/2"),
              e2 = shard("explore", "--variant reference --calls 1 -q", "2/2"),
              other = shard("explore", "--variant reference --calls 0 -q", "2/2"),
              c2 = shard("check", "--tests 4", "2/2"), e3 = shard("explore", "--variant reference --calls 1 -q", "1/3");
  struct bad {
    std::string files, says;
  };
  for (const bad& b : std::vector<bad>{
           {e1, "missing"},
           {e1 + " " + e1 + " " + e2, "given twice"},
           {e1 + " " + c2, "a shard of luv check, not of luv explore"},
           {e1 + " " + other, "option calls is 0, not 1"},
           {e1 + " " + e3, "shard 1/3, but"},
           {dir + "/nothing.json", "nothing.json"},
       }) {
    Outcome o = luv_test::run_luv("merge " + b.files);
    EXPECT_EQ(o.exit_code, 2) << b.files << ": " << o.err;
    EXPECT_EQ(luv_test::lines(o.err), 1) << o.err;
    EXPECT_NE(o.err.find(b.says), std::string::npos) << o.err;
  }
  Outcome plain = luv_test::run_luv("explore --variant reference --calls 0 -q --json " + dir + "/plain.json");
  Outcome o = luv_test::run_luv("merge " + dir + "/plain.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("not a shard report"), std::string::npos) << o.err;
}

}  // namespace

namespace {

// `luv explore` with and without `flag` (another way to the same search):
// the same report, counterexample files included, the same exit code, and
// the stat `done` counting the work the flag turns off.
void expect_one_report(const std::string& flag, const char* done, const std::string& choices) {
  for (const std::string variant : {"reference", "v2"}) {
    // Each run in a folder of its own, so that each writes its own counterexample files.
    std::string on = folder("on-" + variant + flag), off = folder("off-" + variant + flag);
    std::string args =
        "explore --variant " + variant + " --mode adversarial --calls 2 --jobs 2 --no-lazy-op-sets" + choices + " --json ";
    Outcome a = luv_test::run_luv(args + on + "/out.json");
    Outcome b = luv_test::run_luv(args + off + "/out.json " + flag);
    EXPECT_EQ(a.exit_code, b.exit_code) << variant << a.err << b.err;
    json ja = read_json(on + "/out.json"), jb = read_json(off + "/out.json");
    EXPECT_GT(ja["stats"][done].get<long long>(), 0) << variant;
    EXPECT_EQ(jb["stats"][done].get<long long>(), 0) << variant;
    EXPECT_EQ(comparable(ja), comparable(jb)) << variant;
  }
}

TEST(Snapshots, explore_with_and_without_snapshots_writes_one_report) {
  expect_one_report("--no-snapshots", "snapshots", " --iommu1-ops 15,5 --domain1-ops 3,1");
}

TEST(EquivalentOpSets, explore_with_and_without_equivalence_writes_one_report) {
  expect_one_report("--no-op-set-equivalence", "choices_covered", "");  // all 64 choices: many are alike
}

// v2 searched with v2-warn: v2's report as v2's own run writes it, v2-warn's
// under "searched_with" as v2-warn's own run writes it (counterexample files
// included), but for the counts, which are the one search's.
TEST(VariantsTogether, explore_writes_each_variant_s_own_report) {
  std::string dir = folder("together");
  std::string args = "explore --mode adversarial --calls 2 --jobs 2 ";
  Outcome both = luv_test::run_luv(args + "--variant v2 --searched-with v2-warn --json " + dir + "/both.json");
  EXPECT_EQ(both.exit_code, 1) << both.err;  // violations
  json j = read_json(dir + "/both.json");
  ASSERT_EQ(j["searched_with"].size(), 1u) << j.dump();
  for (const std::string variant : {"v2", "v2-warn"}) {
    std::string own = folder("own-" + variant);
    Outcome o = luv_test::run_luv(args + "--variant " + variant + " --json " + own + "/out.json");
    EXPECT_EQ(o.exit_code, 1) << o.err;
    json alone = read_json(own + "/out.json"), together = variant == "v2" ? j : j["searched_with"][0];
    for (json* r : {&alone, &together}) r->erase("stats"), r->erase("bound"), r->erase("searched_with");
    // The outcomes' texts name the states searched, which the one search counts for both.
    auto verdicts = [](const json& r) {
      json out = json::array();
      for (const json& x : r["outcomes"]) out.push_back({x["property"], x["status"], x.contains("counterexample")});
      return out;
    };
    EXPECT_EQ(verdicts(together), verdicts(alone)) << variant;
    EXPECT_EQ(together["variant"], variant);
    for (const json& x : together["outcomes"]) {
      if (!x.contains("counterexample")) continue;
      std::string file = luv_test::read_file(x["counterexample"].get<std::string>());
      EXPECT_NE(file.find("\"variant\": \"" + variant + "\""), std::string::npos) << x.dump();
    }
  }
}

TEST(VariantsTogether, a_bad_searched_with_is_one_line_and_exit_2) {
  for (const char* bad : {"reference", "v9", "v2-warn,v2-warn", "v2-warn --shard 1/2", "v2-warn --no-lazy-op-sets"}) {
    Outcome o = luv_test::run_luv(std::string("explore --variant v2 --calls 1 -q --searched-with ") + bad);
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.out << o.err;
    EXPECT_EQ(luv_test::lines(o.err), 1) << bad << ": " << o.err;
    EXPECT_EQ(o.err.rfind("luv: --searched-with: ", 0), 0u) << bad << ": " << o.err;
  }
}

}  // namespace
