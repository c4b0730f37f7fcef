// `luv explore`: every Scenario within a bound; per property, holds
// (exhaustively) or violated with a counterexample file.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/shard.h"
#include "counterexamples/counterexample.h"
#include "explore/explore.h"
#include "explore/search.h"
#include "verify/reports.h"

namespace luv::cli {

namespace {

// "all" or a comma-separated list of op masks ("0,3,15").
std::vector<unsigned char> parse_masks(const std::string& text, const char* option, int max) {
  std::vector<unsigned char> out;
  if (text.empty() || text == "all") return out;
  for (int v : parse_number_list(text, option, max, "an op set")) out.push_back(static_cast<unsigned char>(v));
  return out;
}

std::string mib(long long bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

void print_table(const ExploreStats& s, bool lazy) {
  std::printf("%-22s %lld\n", "states", s.states);
  std::printf("%-22s %lld\n", "transitions (replays)", s.transitions);
  std::printf("%-22s %lld\n", "pruned: visited", s.pruned_visited);
  std::printf("%-22s %lld\n", "pruned: sleep sets", s.pruned_sleep);
  std::printf("%-22s %lld\n", "pruned: source sets", s.pruned_source);
  if (s.alone_runs > 0)
    std::printf("%-22s %lld (%lld steps past their first)\n", "calls run alone", s.alone_runs, s.alone_steps);
  if (s.mover_states > 0) std::printf("%-22s %lld\n", "lock movers went on", s.mover_states);
  if (s.class_splits > 0) std::printf("%-22s %lld\n", "op-set classes split", s.class_splits);
  if (s.widened > 0) std::printf("%-22s %lld\n", "choices widened", s.widened);
  std::printf("%-22s %.0f\n", "states/s", s.states_per_second());
  if (s.covered > 0)
    std::printf("%-22s %d of %d, %s (%lld states searched)\n", "op-set choices taken", s.covered, s.topologies,
                lazy ? "searched with others in one lazy search" : "from an equivalent choice's search",
                s.states_searched);
  std::printf("%-22s %lld (%.1f bytes each, collision odds %.2g)\n", "visited fingerprints", s.visited,
              s.bytes_per_visited(), s.collision_odds);
  if (s.snapshots > 0)
    std::printf("%-22s %lld (the largest %lld bytes)\n", "snapshots saved", s.snapshots, s.snapshot_bytes_max);
  std::printf("%-22s %s\n", "peak memory", mib(s.peak_rss_bytes).c_str());
  std::printf("%-22s %.2f s\n", "time", s.seconds);
  std::string cut = std::string("no (cut by ") + cut_by_name(s.cut_by) + ")";
  std::printf("%-22s %s\n", "complete", s.complete ? "yes (exhaustive within the bound)" : cut.c_str());
}

// Three quarters of the machine's memory: past it a search stops cleanly,
// unknown, before the kernel's OOM killer ends it with nothing.
long long default_memory_max_mb() {
  long long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? pages / 1024 * page / 1024 * 3 / 4 : 0;
}

struct explore_flags {
  ExploreOptions x;
  std::string mode = "adversarial";
  std::string iommu1 = "all", domain1 = "all";
  TopologyFlags topology;
  bool no_por = false, source_sets = false, no_hashing = false, world_frames = false, no_symmetry = false, no_snapshots = false, quiet = false;
  bool no_equivalence = false, no_alone_runs = false, no_racing_subsumption = false, no_lock_movers = false,
       no_twins = false, no_lazy_op_sets = false, no_widen_choices = false, check_components = false;
  std::string json_out, cx_dir, shard;
  double budget = 0;
  long long memory_max_mb = 0;
};

void add_bound_options(CLI::App* cmd, explore_flags& o) {
  add_variant_option(cmd, o.x.variant)->required();
  cmd->add_option("--mode", o.mode, "contract or adversarial")->default_val("adversarial");
  cmd->add_option("--threads", o.x.threads, "threads")->default_val(2);
  cmd->add_option("--calls", o.x.calls, "calls in total")->default_val(4);
  cmd->add_option("--faults", o.x.faults, "faults at most")->default_val(1);
  add_topology_options(cmd, o.topology);
  cmd->add_option("--searched-with", o.x.searched_with,
                  "variants searched in the same lazy search as --variant (comma-separated), each differing from it "
                  "only in rules the code asks (v2-warn with v2): one search, a result per variant")
      ->delimiter(',');
  cmd->add_option("--iommu1-ops", o.iommu1, "IOMMU 1's op sets: all, or masks like 0,5,15")->default_val("all");
  cmd->add_option("--domain1-ops", o.domain1, "domain 1's op sets: all, or masks like 0,3")->default_val("all");
}

void add_search_options(CLI::App* cmd, explore_flags& o) {
  cmd->add_flag("--bfs", o.x.bfs, "shortest counterexamples: fewest calls, then fewest steps");
  cmd->add_flag("--no-por", o.no_por, "turn partial-order reduction (sleep sets, and source sets) off");
  cmd->add_flag("--source-sets", o.source_sets,
                "also skip, where only two busy threads can step, the second's step when the first commutes with all "
                "it does alone (a source set; same verdicts, cuts few states: docs/DESIGN.md)");
  cmd->add_flag("--no-hashing", o.no_hashing, "turn the visited set off");
  cmd->add_flag("--world-frames", o.world_frames,
                "key a paused thread on the whole World at each resume, not on what it read (coarser)");
  cmd->add_flag("--no-symmetry", o.no_symmetry, "keep a state and its mirror (two threads swapped) apart");
  cmd->add_flag("--no-snapshots", o.no_snapshots,
                "reach each node by replaying its prefix, not by one step from its parent's saved state (same results)");
  cmd->add_flag("--no-op-set-equivalence", o.no_equivalence,
                "search every op-set choice, even one an equivalent choice's search already stands for (same results)");
  cmd->add_flag("--no-alone-runs", o.no_alone_runs,
                "key states on which calls have run alone instead of running each call alone from where it starts "
                "(same verdicts, more states)");
  cmd->add_flag("--no-racing-subsumption", o.no_racing_subsumption,
                "key states on the objects whose calls raced instead of pruning a state reached again with more of "
                "them (same verdicts, more states)");
  cmd->add_flag("--check-components", o.check_components,
                "also hash the whole World after every step and stop with a luv bug where that differs from the parts "
                "kept up to date from the step's reads and writes (slower; a differential test)");
  cmd->add_flag("--no-lock-movers", o.no_lock_movers,
                "let every thread step after a step that only took a lock lasting the run, instead of only that "
                "step's thread (same verdicts, more states)");
  cmd->add_flag("--no-twins", o.no_twins,
                "start a call on each of two twin devices (or domains) no call has named yet, instead of on the "
                "lower one only (same verdicts, more states)");
  cmd->add_flag("--no-lazy-op-sets", o.no_lazy_op_sets,
                "search each op-set choice on its own (or stand for the choices its search asked alike), instead of "
                "the choices with the same twins as one search whose nodes stand for the choices that answered "
                "alike so far (same verdicts, more states); always so with --shard, whose unit is a choice, and "
                "with --no-op-set-equivalence");
  cmd->add_flag("--one-search", o.x.one_search,
                "search every op-set choice in one lazy search (one job), the choices whose twins differ included, "
                "instead of one search per twin group (same verdicts)");
  cmd->add_flag("--no-widen-choices", o.no_widen_choices,
                "in a lazy search, let a searched state stand only for the choices it was searched for, not also "
                "for those that would have searched its subtree alike (same verdicts, more states)");
  cmd->add_option("--states-max", o.x.states_max, "stop after this many states, shared by the op-set choices (0: no limit)")
      ->default_val(0)
      ->check(integer_range(0, INT64_MAX));
  cmd->add_option("--budget", o.budget, "time budget in seconds: a search it cuts is unknown (0: none)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--memory-max", o.memory_max_mb,
                  "stop when the process's resident memory passes this many MiB: unknown, not a crash (0: no limit)")
      ->default_val(default_memory_max_mb())
      ->check(integer_range(0, INT64_MAX / (1024 * 1024)));
  cmd->add_option("--jobs", o.x.jobs, "op-set choices searched at once (default: the machine's cores); the result does not depend on it")
      ->default_val(default_jobs())
      ->check(CLI::Range(1, 256));
}

// The flags as the explorer's options; BadInput naming the option at fault.
ExploreOptions explore_options(const explore_flags& o) {
  ExploreOptions x = o.x;
  checked_variant(x.variant);
  x.mode = parse_mode(o.mode);
  x.iommu1_ops = parse_masks(o.iommu1, "--iommu1-ops", IOMMU_OPS_ALL);
  x.domain1_ops = parse_masks(o.domain1, "--domain1-ops", DOMAIN_OPS_ALL);
  x.topology = topology_from(o.topology);
  x.por = !o.no_por;
  x.source_sets = o.source_sets;
  x.hashing = !o.no_hashing;
  x.read_frames = !o.world_frames;
  x.symmetry = !o.no_symmetry;
  x.snapshots = !o.no_snapshots;
  x.op_set_equivalence = !o.no_equivalence;
  x.alone_runs = !o.no_alone_runs;
  x.racing_subsumption = !o.no_racing_subsumption;
  x.lock_movers = !o.no_lock_movers;
  x.components_checked = o.check_components;
  x.twins = !o.no_twins;
  x.memory_max_bytes = o.memory_max_mb * 1024 * 1024;
  x.deadline = deadline_after(o.budget);
  Shard shard = parse_shard(o.shard);
  x.shard = shard.index, x.shards = shard.count;
  x.lazy_op_sets = !o.no_lazy_op_sets;
  x.widen_choices = !o.no_widen_choices;
  std::string bad = validate(x);
  if (!bad.empty()) throw BadInput{bad};
  return x;
}

// The shard's op-set choices searched (all of them without --shard), with
// progress lines on stderr unless quiet; `seconds`: the time they took.
std::vector<explorer::ChoiceResult> run_explore(ExploreOptions x, bool quiet, double& seconds) {
  bool tty = isatty(fileno(stderr));
  if (!quiet)
    x.progress = [tty](const ExploreStats& s) {
      std::fprintf(stderr, "%sexplore: %lld states, %.0f states/s, frontier %lld, op sets done %d/%d, %s%s",
                   tty ? "\r" : "", s.states, s.states_per_second(), s.frontier, s.topology, s.topologies,
                   mib(s.peak_rss_bytes).c_str(), tty ? "   " : "\n");
    };
  auto start = std::chrono::steady_clock::now();
  std::vector<explorer::ChoiceResult> r = explore_choices(x);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet && tty) std::fprintf(stderr, "\n");
  return r;
}

// The finding of `o`'s property as a counterexample file (FORMAT.md),
// judged on that property alone, as every engine's finding is.
Counterexample explore_finding(const ExploreOptions& x, const PropertyOutcome& o) {
  return finding_counterexample(*o.counterexample, only(o.property), "explore",
                                std::string("luv explore (") + caller_mode_name(x.mode) + " mode, " +
                                    std::to_string(x.threads) + " thread(s), " + std::to_string(x.calls) +
                                    " calls) found " + property_name(o.property) + " in " + x.variant,
                                o.violation->message);
}

// Where the finding's file goes: DIR/explore-VARIANT-MODE-PROPERTY.json; a
// shard's .shard-I-of-N.json, so that shards sharing a folder keep their files.
std::string finding_path(const std::string& dir, const ExploreOptions& x, const ExploreResult& r, PropertyId p) {
  std::string shard = x.shards > 1 ? ".shard-" + std::to_string(x.shard) + "-of-" + std::to_string(x.shards) : "";
  std::string where =
      dir + "/explore-" + r.report.variant + "-" + r.report.mode + "-" + property_name(p) + shard + ".json";
  for (char& c : where)
    if (c == ':' || c == '+') c = '_';
  return where;
}

nlohmann::ordered_json bound_json(const ExploreOptions& x) {
  return {{"threads", x.threads}, {"calls", x.calls}, {"faults", x.faults},
          {"objects_per_page", x.topology.objects_per_page}, {"bfs", x.bfs}, {"por", x.por}, {"source_sets", x.source_sets},
          {"hashing", x.hashing}, {"read_frames", x.read_frames}, {"symmetry", x.symmetry},
          {"alone_runs", x.alone_runs}, {"racing_subsumption", x.racing_subsumption},
          {"lock_movers", x.lock_movers}, {"twins", x.twins}, {"lazy_op_sets", lazily(x)},
          {"widen_choices", lazily(x) && x.widen_choices}};
}

nlohmann::ordered_json stats_json(const ExploreStats& s) {
  nlohmann::ordered_json j = {{"states", s.states}, {"transitions", s.transitions}, {"pruned_visited", s.pruned_visited},
                              {"pruned_sleep", s.pruned_sleep}, {"pruned_source", s.pruned_source},
                              {"alone_runs", s.alone_runs},
                              {"alone_steps", s.alone_steps}, {"mover_states", s.mover_states},
                              {"class_splits", s.class_splits}, {"widened", s.widened}, {"visited", s.visited},
                              {"bytes_per_visited", s.bytes_per_visited()}, {"collision_odds", s.collision_odds},
                              {"snapshots", s.snapshots}, {"snapshot_bytes_max", s.snapshot_bytes_max},
                              {"choices_covered", s.covered}, {"states_searched", s.states_searched},
                              {"peak_rss_bytes", s.peak_rss_bytes}, {"seconds", s.seconds},
                              {"states_per_second", s.states_per_second()}, {"complete", s.complete}};
  if (!s.complete) j["cut_by"] = cut_by_name(s.cut_by);
  return j;
}

// Prints each outcome, saves each finding into `dir` (when there is one),
// and returns the outcomes as the JSON report lists them.
nlohmann::ordered_json report_outcomes(const ExploreOptions& x, const ExploreResult& r, const std::string& dir) {
  nlohmann::ordered_json outcomes = nlohmann::ordered_json::array();
  std::printf("%-26s %-10s %s\n", "property", "status", "how");
  for (const PropertyOutcome& po : r.report.outcomes) {
    std::optional<Counterexample> file;
    std::string where;
    if (po.counterexample) {
      file = explore_finding(x, po);
      if (!dir.empty()) {
        where = finding_path(dir, x, r, po.property);
        if (!write_counterexample_file(where, *file)) throw BadInput{where + ": cannot write"};
      }
    }
    outcomes.push_back(outcome_json(po, file, where));
    std::printf("%-26s %-10s %s%s\n", property_name(po.property), status_name(po.status), po.how.c_str(),
                where.empty() ? "" : (" -> " + where).c_str());
  }
  return outcomes;
}

// What one run prints and writes of `r` (a shard's part, or the merged
// shards), with the shard's object in the JSON report when there is one;
// the exit code.
int finish_explore(const ExploreOptions& x, const ExploreResult& r, const std::string& dir,
                   const std::string& json_out, const nlohmann::ordered_json& shard) {
  nlohmann::ordered_json report = engine_report_json(r.report, report_outcomes(x, r, dir));
  report["bound"] = bound_json(x);
  report["stats"] = stats_json(r.stats);
  if (!shard.is_null()) report["shard"] = shard;
  bool violated = false;
  for (const PropertyOutcome& po : r.report.outcomes) violated = violated || po.counterexample;
  // Variants searched with x.variant: their outcomes, from the same search.
  for (size_t k = 0; k < r.searched_with.size(); ++k) {
    ExploreOptions xk = x;
    xk.variant = x.searched_with[k];
    const ExploreResult& rk = r.searched_with[k];
    std::printf("\n%s, searched with %s:\n", xk.variant.c_str(), x.variant.c_str());
    report["searched_with"].push_back(engine_report_json(rk.report, report_outcomes(xk, rk, dir)));
    for (const PropertyOutcome& po : rk.report.outcomes) violated = violated || po.counterexample;
  }
  std::printf("\n");
  print_table(r.stats, lazily(x));
  if (!json_out.empty() && !write_report(json_out, report.dump(2) + "\n")) throw BadInput{json_out + ": cannot write"};
  return violated ? EXIT_VIOLATION : EXIT_OK;
}

// The options every shard must share (and merge_choices() reads): the
// bound, with the variant, mode and topology as a Scenario's frame.
nlohmann::ordered_json shard_options_json(const ExploreOptions& x) {
  Scenario frame;
  frame.variant = x.variant, frame.mode = x.mode, frame.topology = x.topology;
  frame.threads = {{}};
  nlohmann::ordered_json j = bound_json(x);
  j["frame"] = scenario_to_json(frame);
  j["iommu1_ops"] = x.iommu1_ops;
  j["domain1_ops"] = x.domain1_ops;
  j["states_max"] = x.states_max;
  return j;
}

ExploreOptions explore_options_from_json(const nlohmann::json& j) {
  ExploreOptions x;
  Scenario frame = scenario_from_json(j.at("frame"));
  x.variant = frame.variant, x.mode = frame.mode, x.topology = frame.topology;
  x.threads = j.at("threads"), x.calls = j.at("calls"), x.faults = j.at("faults");
  x.bfs = j.at("bfs"), x.por = j.at("por"), x.source_sets = j.at("source_sets"), x.hashing = j.at("hashing");
  x.read_frames = j.at("read_frames"), x.symmetry = j.at("symmetry"), x.alone_runs = j.at("alone_runs");
  x.racing_subsumption = j.at("racing_subsumption"), x.lock_movers = j.at("lock_movers");
  x.twins = j.at("twins");
  x.iommu1_ops = j.at("iommu1_ops").get<std::vector<unsigned char>>();
  x.domain1_ops = j.at("domain1_ops").get<std::vector<unsigned char>>();
  x.states_max = j.at("states_max");
  return x;
}

CutBy cut_by_from(const std::string& name) {
  for (CutBy c : {CutBy::none, CutBy::first_violation, CutBy::states, CutBy::budget, CutBy::memory, CutBy::interrupted})
    if (name == cut_by_name(c)) return c;
  format_error("cut_by", "unknown cut '" + name + "'");
}

// One op-set choice's result, whole: what merge_choices() reads of it.
nlohmann::ordered_json choice_json(size_t index, const explorer::ChoiceResult& c) {
  const ExploreStats& s = c.stats;
  nlohmann::ordered_json stats = {
      {"states", s.states}, {"transitions", s.transitions}, {"pruned_visited", s.pruned_visited},
      {"pruned_sleep", s.pruned_sleep}, {"pruned_source", s.pruned_source}, {"alone_runs", s.alone_runs},
      {"alone_steps", s.alone_steps},
      {"mover_states", s.mover_states}, {"class_splits", s.class_splits}, {"visited", s.visited},
      {"visited_bytes", s.visited_bytes},
      {"frontier_max", s.frontier_max}, {"snapshots", s.snapshots}, {"snapshot_bytes_max", s.snapshot_bytes_max},
      {"paths_ended", s.paths_ended}, {"unjudged", property_set_json(s.unjudged)},
      {"collision_odds", s.collision_odds}, {"seconds", s.seconds}, {"complete", s.complete},
      {"cut_by", cut_by_name(s.cut_by)}, {"covered", s.covered}, {"states_searched", s.states_searched}};
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const ExploreFinding& f : c.findings)
    findings.push_back({{"property", property_name(f.property)}, {"calls", f.calls}, {"steps", f.steps},
                        {"checked", property_set_json(f.checked)}, {"violation", full_violation_json(f.violation)},
                        {"scenario", scenario_to_json(f.counterexample)}});
  return {{"choice", index}, {"stats", stats}, {"findings", findings}};
}

explorer::ChoiceResult choice_from_json(const nlohmann::json& j) {
  explorer::ChoiceResult c;
  const nlohmann::json& s = j.at("stats");
  ExploreStats& t = c.stats;
  t.states = s.at("states"), t.transitions = s.at("transitions"), t.pruned_visited = s.at("pruned_visited");
  t.pruned_sleep = s.at("pruned_sleep"), t.pruned_source = s.at("pruned_source"), t.visited = s.at("visited"), t.visited_bytes = s.at("visited_bytes");
  t.alone_runs = s.at("alone_runs"), t.alone_steps = s.at("alone_steps"), t.mover_states = s.at("mover_states");
  t.class_splits = s.at("class_splits");
  t.frontier_max = s.at("frontier_max"), t.paths_ended = s.at("paths_ended");
  t.snapshots = s.at("snapshots"), t.snapshot_bytes_max = s.at("snapshot_bytes_max");
  t.unjudged = property_set_from_json(s.at("unjudged"));
  t.collision_odds = s.at("collision_odds"), t.seconds = s.at("seconds"), t.complete = s.at("complete");
  t.cut_by = cut_by_from(s.at("cut_by"));
  t.covered = s.at("covered"), t.states_searched = s.at("states_searched");
  for (const nlohmann::json& f : j.at("findings")) {
    ExploreFinding x;
    x.violation = violation_from_json(f.at("violation"));
    x.property = x.violation.property;
    x.calls = f.at("calls"), x.steps = f.at("steps");
    x.checked = property_set_from_json(f.at("checked"));
    x.counterexample = scenario_from_json(f.at("scenario"));
    c.findings.push_back(std::move(x));
  }
  return c;
}

// The shard's object: its options, each of its choices whole, its time and memory.
nlohmann::ordered_json explore_shard_json(const ExploreOptions& x, const Shard& shard,
                                          const std::vector<explorer::ChoiceResult>& choices, const ExploreStats& s) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::vector<size_t> indices = shard_choices(x);
  for (size_t k = 0; k < choices.size(); ++k) list.push_back(choice_json(indices[k], choices[k]));
  return shard_json("explore", shard, shard_options_json(x),
                    {{"seconds", s.seconds}, {"peak_rss_bytes", s.peak_rss_bytes}, {"choices", list}});
}

int explore_command(const explore_flags& o) {
  ExploreOptions x = explore_options(o);
  Shard shard = parse_shard(o.shard);
  std::string dir = counterexample_dir(o.cx_dir, o.json_out);  // every path, before the search
  set_phase("explore " + x.variant + " (" + o.mode + " mode)");
  if (shard.given)
    std::printf("shard %d/%d: %zu of %zu op-set choices; `luv merge` combines the shards' --json reports\n",
                shard.index, shard.count, shard_choices(x).size(), op_set_choices(x).size());
  double seconds = 0;
  std::vector<explorer::ChoiceResult> choices = run_explore(x, o.quiet, seconds);
  throw_if_interrupted();
  ExploreResult r = merge_variants(x, choices, seconds);
  nlohmann::ordered_json shard_object;
  if (shard.given) shard_object = explore_shard_json(x, shard, choices, r.stats);
  return finish_explore(x, r, dir, o.json_out, shard_object);
}

// `luv merge` of explore shards: every choice of the bound, each once, in
// choice order, merged as one run merges them.
int merge_explore(const std::vector<ShardFile>& shards, const MergeOutput& out) {
  ExploreOptions x;
  read_shard(shards.front(), [&](const nlohmann::json& s) { x = explore_options_from_json(s.at("options")); });
  std::vector<explorer::ChoiceResult> choices(op_set_choices(x).size());
  std::vector<bool> seen(choices.size());
  double seconds = 0;
  long long peak = 0;
  for (const ShardFile& f : shards)
    read_shard(f, [&](const nlohmann::json& s) {
      seconds += s.at("seconds").get<double>();
      peak = std::max(peak, s.at("peak_rss_bytes").get<long long>());
      for (const nlohmann::json& c : s.at("choices")) {
        size_t i = c.at("choice");
        if (i >= choices.size() || seen[i]) throw BadInput{f.path + ": op-set choice " + std::to_string(i) + " is out of range or given twice"};
        seen[i] = true;
        choices[i] = choice_from_json(c);
      }
    });
  for (size_t i = 0; i < seen.size(); ++i)
    if (!seen[i]) throw BadInput{"merge: op-set choice " + std::to_string(i) + " is in no shard"};
  std::string dir = counterexample_dir(out.cx_dir, out.json_out);
  ExploreResult r = merge_choices(x, choices, seconds);
  r.stats.peak_rss_bytes = peak;  // the largest shard's, not this process's
  return finish_explore(x, r, dir, out.json_out, nullptr);
}

[[maybe_unused]] const bool merges_explore = register_merger("explore", merge_explore);

}  // namespace

LUV_COMMAND(explore, "explore", "Enumerate every Scenario within a bound; report each property exhaustively") {
  auto o = std::make_shared<explore_flags>();
  add_bound_options(cmd, *o);
  add_search_options(cmd, *o);
  cmd->add_option("--json", o->json_out, "write the report here (counterexamples beside it)");
  cmd->add_option("--counterexamples", o->cx_dir, "folder for counterexample files (default: beside --json)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines");
  add_shard_option(cmd, o->shard, "the op-set choices");
  return [o] { return explore_command(*o); };
}

}  // namespace luv::cli
