#include "explore/explore.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "explore/search.h"
#include "explore/twins.h"
#include "impl/callers.h"
#include "impl/op_footprint.h"
#include "impl/variant.h"
#include "impl/world.h"
#include "properties/assert.h"
#include "properties/stop.h"

namespace luv {

using std::uint64_t;

long long peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

long long rss_bytes() {
  long long pages = 0, resident = 0;
  std::ifstream in("/proc/self/statm");
  if (!(in >> pages >> resident)) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

const char* cut_by_name(CutBy c) {
  switch (c) {
    case CutBy::none: return "nothing";
    case CutBy::first_violation: return "the first violation";
    case CutBy::states: return "the state limit";
    case CutBy::budget: return "the budget";
    case CutBy::memory: return "the memory limit";
    case CutBy::interrupted: return "an interrupt";
  }
  return "?";
}

int default_jobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::vector<Call> call_alphabet(CallerMode mode, const Topology& t) { return impl::calls_of_mode(mode, t); }

namespace {

// One shard per op-set choice at most: splitting a choice's subtree is not
// done (docs/DESIGN.md, "Shards").
std::string validate_shard(const ExploreOptions& o) {
  std::string which = std::to_string(o.shard) + "/" + std::to_string(o.shards);
  if (o.shards < 1 || o.shard < 1 || o.shard > o.shards) return "--shard: " + which + " is not i/N with 1 <= i <= N";
  size_t choices = op_set_choices(o).size();
  if (static_cast<size_t>(o.shards) > choices)
    return "--shard: " + std::to_string(o.shards) + " shards for " + std::to_string(choices) +
           " op-set choices (at most one shard per choice)";
  return "";
}

// Variants searched together share one lazy search, whose choices are
// each variant with each op-set choice (explorer::ChoiceSet holds 128).
std::string validate_searched_with(const ExploreOptions& o) {
  if (o.searched_with.empty()) return "";
  const std::string what = "--searched-with: ";
  if (!lazily(o) || o.first_violation_only)
    return what + "needs one lazy search of every choice (not with --shard, --no-lazy-op-sets, "
                  "--no-op-set-equivalence, an invariant or the first violation only)";
  const impl::variant_rules* base = impl::find_variant(o.variant);
  std::vector<std::string> seen{o.variant};
  for (const std::string& v : o.searched_with) {
    if (std::string bad = impl::unknown_variant(v); !bad.empty()) return what + bad;
    if (std::find(seen.begin(), seen.end(), v) != seen.end()) return what + v + " is named twice";
    seen.push_back(v);
    if (!impl::alike_but_asked(*base, *impl::find_variant(v)))
      return what + v + " differs from " + o.variant + " in more than the rules the code asks (impl/variant.h)";
  }
  size_t choices = op_set_choices(o).size() * seen.size();
  if (choices > static_cast<size_t>(explorer::ChoiceSet::MAX))
    return what + std::to_string(choices) + " choices (op-set choices x variants) is over " +
           std::to_string(explorer::ChoiceSet::MAX);
  return "";
}

}  // namespace

std::string validate(const ExploreOptions& o) {
  if (std::string bad = impl::unknown_variant(o.variant); !bad.empty()) return "--variant: " + bad;
  if (o.threads < 1 || o.threads > 8) return "--threads: " + std::to_string(o.threads) + " is outside 1..8";
  if (o.calls < 0 || o.calls > 16) return "--calls: " + std::to_string(o.calls) + " is outside 0..16";
  if (o.faults < 0 || o.faults > 4) return "--faults: " + std::to_string(o.faults) + " is outside 0..4";
  if (o.topology.iommus.size() < 2 || o.topology.domains.size() < 2)
    return "topology: the op-set choices need at least 2 IOMMUs and 2 domains";
  for (unsigned char m : o.iommu1_ops)
    if (m > IOMMU_OPS_ALL) return "--iommu1-ops: " + std::to_string(m) + " is not an op set (0..15)";
  for (unsigned char m : o.domain1_ops)
    if (m > DOMAIN_OPS_ALL) return "--domain1-ops: " + std::to_string(m) + " is not an op set (0..3)";
  Scenario probe;
  probe.variant = o.variant;
  probe.mode = o.mode;
  probe.topology = o.topology;
  probe.threads.assign(static_cast<size_t>(o.threads), {});
  if (std::string bad = validate(probe); !bad.empty()) return bad;
  if (std::string bad = validate_shard(o); !bad.empty()) return bad;
  if (o.one_search && !lazily(o))
    return "--one-search: needs a lazy search (not with --shard, --no-lazy-op-sets or --no-op-set-equivalence)";
  return validate_searched_with(o);
}

bool lazily(const ExploreOptions& o) {
  return o.lazy_op_sets && o.shards <= 1 && o.op_set_equivalence && !o.invariant;
}

std::vector<Topology> op_set_choices(const ExploreOptions& o) {
  std::vector<unsigned char> iommu1 = o.iommu1_ops, domain1 = o.domain1_ops;
  if (iommu1.empty())
    for (int m = 0; m <= IOMMU_OPS_ALL; ++m) iommu1.push_back(static_cast<unsigned char>(m));
  if (domain1.empty())
    for (int m = 0; m <= DOMAIN_OPS_ALL; ++m) domain1.push_back(static_cast<unsigned char>(m));
  std::vector<Topology> out;
  for (unsigned char i : iommu1)
    for (unsigned char d : domain1) {
      Topology t = o.topology;
      t.iommus[1].ops = i;
      t.domains[1].ops = d;
      out.push_back(t);
    }
  return out;
}

std::vector<size_t> shard_choices(const ExploreOptions& o) {
  std::vector<size_t> out;
  size_t n = op_set_choices(o).size(), step = static_cast<size_t>(std::max(1, o.shards));
  for (size_t i = static_cast<size_t>(std::max(1, o.shard) - 1); i < n; i += step) out.push_back(i);
  return out;
}

namespace {

using explorer::ChoiceResult;
using explorer::Live;
using explorer::Twins;
using explorer::twins;

// A choice's stats added to the sums.
void add_stats(ExploreStats& s, const ExploreStats& x) {
  s.states += x.states, s.transitions += x.transitions, s.pruned_visited += x.pruned_visited;
  s.pruned_sleep += x.pruned_sleep, s.pruned_source += x.pruned_source, s.visited += x.visited, s.visited_bytes += x.visited_bytes;
  s.alone_runs += x.alone_runs, s.alone_steps += x.alone_steps, s.mover_states += x.mover_states;
  s.class_splits += x.class_splits, s.widened += x.widened;
  s.frontier_max = std::max(s.frontier_max, x.frontier_max);
  s.snapshots += x.snapshots;
  s.snapshot_bytes_max = std::max(s.snapshot_bytes_max, x.snapshot_bytes_max);
  s.collision_odds += x.collision_odds;
  s.complete &= x.complete;
  s.cut_by = std::max(s.cut_by, x.cut_by);
  s.paths_ended += x.paths_ended;
  s.unjudged |= x.unjudged;
  s.covered += x.covered;
  s.states_searched += x.states_searched;
  s.topology++;
}

// What the merged search says of property `id`; `finding`: its chosen
// finding, null when none.
PropertyOutcome outcome_of(const ExploreOptions& o, const ExploreStats& s, PropertyId id,
                           const ExploreFinding* finding, const std::string& bound) {
  PropertyOutcome po;
  po.property = id;
  if (!has(o.properties, id) || (id == PropertyId::model_refinement)) {
    po.status = Status::not_checked;
    po.how = id == PropertyId::model_refinement ? "the explorer runs no model observer" : "not asked for";
  } else if (finding) {
    po.status = Status::violated;
    po.counterexample = finding->counterexample;
    po.violation = finding->violation;
    po.how = "explore" + std::string(o.bfs ? " --bfs" : "") + ": " + std::to_string(finding->calls) + " call(s), " +
             std::to_string(finding->steps) + " step(s)";
    // Those an earlier violation on the path masked (`checked` is of the judged ones).
    std::string names = property_list(explorer::judged_by_explorer(o) & ~finding->checked);
    if (!names.empty()) po.how += "; seen past an earlier violation of " + names;
  } else if (!s.complete) {
    po.status = Status::unknown;
    po.how = s.cut_by == CutBy::interrupted ? "interrupted" : std::string("cut by ") + cut_by_name(s.cut_by);
    po.how += " at " + std::to_string(s.states) + " states (" + bound + ")";
  } else {
    po.status = Status::holds;
    po.how = "exhaustive within " + bound + ": " + std::to_string(s.states) + " states";
    if (s.unjudged.test(static_cast<size_t>(id)))
      po.how += "; not judged past the oops or deadlock that ended " + std::to_string(s.paths_ended) + " path(s)";
  }
  return po;
}

// "2 threads, 4 calls, 1 fault(s), 64 op-set choices", a shard's "16 of 64
// op-set choices (shard 1/4)".
std::string bound_text(const ExploreOptions& o, size_t choices) {
  std::string text = std::to_string(o.threads) + " threads, " + std::to_string(o.calls) + " calls, " +
                     std::to_string(o.faults) + " fault(s), " + std::to_string(choices);
  if (o.shards > 1)
    text += " of " + std::to_string(op_set_choices(o).size()) + " op-set choices (shard " + std::to_string(o.shard) +
            "/" + std::to_string(o.shards) + ")";
  else
    text += " op-set choices";
  return text;
}

// A search that can stand for the choices inside its footprint: one that
// no clock, memory or stop request cut (those stop at a moment, not at a
// point of the search the other choices would reach alike), and no
// invariant judged (ExploreOptions::invariant reads whole op masks, asking
// no question).
bool stands_for_others(const ExploreOptions& o, const ChoiceResult& r) {
  if (o.invariant) return false;
  return r.stats.complete || r.stats.cut_by == CutBy::states || r.stats.cut_by == CutBy::first_violation;
}

// Choice t's result, taken from the search of an equivalent choice: the
// same counts and verdicts, the counterexamples on t's op sets, no work.
ChoiceResult as_choice(const ChoiceResult& r, const Topology& t) {
  ChoiceResult out = r;
  out.stats.covered = 1;
  out.stats.states_searched = 0;
  out.stats.snapshots = 0;
  out.stats.seconds = 0;
  for (ExploreFinding& f : out.findings) f.counterexample.topology = t;
  return out;
}

// One choice searched; what its runs ask of the op sets narrows `footprint`.
ChoiceResult search_choice(const ExploreOptions& o, const Topology& t, long long share, Live& live,
                           impl::op_footprint& footprint) {
  impl::op_footprint_scope scope(&footprint);
  explorer::Search search(o, t, share, live);
  return search.go();
}

// The choices in the order of work, handed to the threads. With equivalent
// op sets a thread takes first a choice a finished search stands for (no
// work), then the first choice no running search can still stand for (its
// footprint so far does not hold it: a footprint only narrows), and when
// every choice left may yet be one a running search stands for, it waits
// (up to a second, as the running footprints narrow or a search ends)
// rather than search a likely twin. Which choices are searched changes no
// result, only the work.
class ChoiceQueue {
 public:
  ChoiceQueue(const ExploreOptions& o, const std::vector<Topology>& topologies, std::vector<size_t> order)
      : o_(o), topologies_(topologies), order_(std::move(order)), footprints_(topologies.size()),
        taken_(topologies.size(), false) {
    for (const Topology& t : topologies) twins_.emplace_back(t);
  }

  struct Turn {
    size_t choice;
    std::optional<size_t> from;  // the finished search that stands for it
  };
  // The next choice for a thread; none once every choice is taken.
  std::optional<Turn> take() {
    std::unique_lock<std::mutex> hold(m_);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      if (taken_count_ == order_.size()) return std::nullopt;
      std::optional<Turn> t = pick(std::chrono::steady_clock::now() < give_up);
      if (t) {
        taken_[t->choice] = true;
        ++taken_count_;
        if (!t->from) running_.push_back(t->choice);
        return t;
      }
      cv_.wait_for(hold, std::chrono::milliseconds(10));
    }
  }
  // What choice i's runs ask of the op sets (written by its search's thread).
  impl::op_footprint& footprint(size_t i) { return footprints_[i]; }
  // Choice i's result is in: a search that can, stands for the choices inside its footprint.
  void finished(size_t i, bool searched, bool stands) {
    std::lock_guard<std::mutex> hold(m_);
    if (searched) std::erase(running_, i);
    if (stands && o_.op_set_equivalence) standing_.push_back(i);
    ++done_;
    cv_.notify_all();
  }
  // Waits up to `d`; true once every choice is done.
  bool all_done_within(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> hold(m_);
    return cv_.wait_for(hold, d, [&] { return done_ == order_.size(); });
  }
  int done() {
    std::lock_guard<std::mutex> hold(m_);
    return static_cast<int>(done_);
  }

 private:
  // Under m_: the choice to take now, if any; `patient`: none that a
  // running search may yet stand for.
  std::optional<Turn> pick(bool patient) const {
    // Twins are worked out from whole op masks, which no footprint records:
    // a search stands for a choice only if the same objects are twins in
    // both (else it skipped calls the choice's own search makes).
    auto held_by = [&](const std::vector<size_t>& searches, size_t i) -> std::optional<size_t> {
      for (size_t r : searches)
        if (footprints_[r].holds(topologies_[i]) && (!twins(o_) || twins_[r] == twins_[i])) return r;
      return std::nullopt;
    };
    for (size_t i : order_)  // empty without equivalence: no search stands for another
      if (!taken_[i])
        if (std::optional<size_t> r = held_by(standing_, i)) return Turn{i, r};
    patient = patient && o_.op_set_equivalence;
    for (size_t i : order_)
      if (!taken_[i] && !(patient && held_by(running_, i))) return Turn{i, std::nullopt};
    return std::nullopt;
  }

  const ExploreOptions& o_;
  const std::vector<Topology>& topologies_;
  const std::vector<size_t> order_;
  std::vector<impl::op_footprint> footprints_;  // per choice, written by its search's thread alone
  std::vector<Twins> twins_;                    // per choice
  std::mutex m_;
  std::condition_variable cv_;
  // Guarded by m_:
  std::vector<bool> taken_;
  size_t taken_count_ = 0, done_ = 0;
  std::vector<size_t> running_, standing_;  // searches under way; finished searches that stand for others
};

}  // namespace

ExploreResult merge_choices(const ExploreOptions& o, const std::vector<ChoiceResult>& choices, double seconds) {
  ExploreResult out;
  ExploreStats& s = out.stats;
  // A lazy search's result stands for all its choices.
  size_t bound_choices = lazily(o) ? op_set_choices(o).size() : choices.size();
  s.topologies = static_cast<int>(bound_choices);
  // Per property: the finding and the choice it came from.
  std::array<std::pair<const ExploreFinding*, size_t>, PROPERTY_COUNT> best{};
  // Earlier: shorter (BFS), then from an earlier choice, then found earlier in it.
  auto before = [&](const ExploreFinding& a, size_t ca, const ExploreFinding& b, size_t cb) {
    auto rank = [&](const ExploreFinding& f, size_t c) {
      size_t nth = static_cast<size_t>(&f - choices[c].findings.data());
      return o.bfs ? std::tuple(f.calls, f.steps, c, nth) : std::tuple(0, 0, c, nth);
    };
    return rank(a, ca) < rank(b, cb);
  };
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    add_stats(s, c.stats);
    if (out.divergence.empty() && !c.divergence.empty()) {
      out.divergence = c.divergence;
      out.divergence_scenario = c.divergence_scenario;
    }
    for (const ExploreFinding& f : c.findings) {
      size_t p = static_cast<size_t>(f.property);
      LUV_ASSERT(p < best.size());
      if (best[p].first == nullptr || before(f, i, *best[p].first, best[p].second)) best[p] = {&f, i};
    }
  }
  s.seconds = seconds;
  s.peak_rss_bytes = peak_rss_bytes();
  std::vector<std::pair<const ExploreFinding*, size_t>> found;
  for (const auto& b : best)
    if (b.first) found.push_back(b);
  std::sort(found.begin(), found.end(),
            [&](const auto& a, const auto& b) { return before(*a.first, a.second, *b.first, b.second); });
  // With first_violation_only, one finding: the shortest (BFS) or the first choice's (DFS).
  if (o.first_violation_only && found.size() > 1) found.resize(1);
  out.report.engine = "explore";
  out.report.variant = o.variant;
  out.report.mode = caller_mode_name(o.mode);
  out.report.seconds = seconds;
  std::string bound = bound_text(o, bound_choices);
  for (int p = 0; p < PROPERTY_COUNT; ++p) {
    PropertyId id = static_cast<PropertyId>(p);
    auto f = std::find_if(found.begin(), found.end(), [&](const auto& x) { return x.first->property == id; });
    out.report.outcomes.push_back(outcome_of(o, s, id, f == found.end() ? nullptr : f->first, bound));
  }
  for (const auto& f : found) out.findings.push_back(*f.first);
  return out;
}

// The calling thread watches memory and reports progress while the
// searches run, until all_done_within(a wait) says the `units` are done.
template <typename Done, typename Count>
void watch(const ExploreOptions& o, Live& live, std::chrono::steady_clock::time_point start, int units,
           Done all_done_within, Count done) {
  auto last = start;
  while (!live.failed && !all_done_within(std::chrono::milliseconds(100))) {
    if (o.memory_max_bytes > 0 && rss_bytes() > o.memory_max_bytes) live.over_memory = true;
    if (!o.progress || std::chrono::steady_clock::now() - last < std::chrono::seconds(1)) continue;
    last = std::chrono::steady_clock::now();
    ExploreStats p;
    p.states = p.states_searched = live.states.load();
    p.frontier = live.frontier.load();
    p.topology = done();
    p.topologies = units;
    p.seconds = std::chrono::duration<double>(last - start).count();
    p.peak_rss_bytes = peak_rss_bytes();
    o.progress(p);
  }
}

// A search thread's body: a luv bug in it (an exception) goes to the
// calling thread through `live` instead of ending the program.
template <typename F>
void guarded(Live& live, F f) {
  try {
    f();
  } catch (...) {
    live.fail(std::current_exception());
  }
}

// The choices with the same twins, in the order of their first choice: a
// search skips the calls its twins cover, so it stands only for choices
// with the same twins.
std::vector<std::vector<Topology>> twin_groups(const std::vector<Topology>& topologies) {
  std::vector<std::vector<Topology>> groups;
  std::vector<Twins> keys;
  for (const Topology& t : topologies) {
    Twins k(t);
    size_t g = 0;
    while (g < keys.size() && !(keys[g] == k)) ++g;
    if (g == keys.size()) keys.push_back(k), groups.emplace_back();
    groups[g].push_back(t);
  }
  return groups;
}

// Lazy op-set choices: each twin group is one search, the groups shared out
// to the threads in order; a result per group.
std::vector<ChoiceResult> explore_lazily(const ExploreOptions& o, const std::vector<Topology>& topologies,
                                         long long share) {
  std::vector<std::vector<Topology>> groups =
      o.one_search ? std::vector<std::vector<Topology>>{topologies} : twin_groups(topologies);
  std::vector<std::string> variants{o.variant};
  variants.insert(variants.end(), o.searched_with.begin(), o.searched_with.end());
  std::vector<ChoiceResult> results(groups.size());
  Live live;
  std::mutex m;
  std::condition_variable cv;
  size_t next = 0, done = 0;
  auto work = [&] {
    for (;;) {
      size_t g;
      {
        std::lock_guard<std::mutex> hold(m);
        if (next == groups.size()) return;
        g = next++;
      }
      explorer::LazyChoices choices{variants, groups[g]};
      long long states_max = share > 0 ? share * choices.size() : 0;
      explorer::Search search(o, groups[g].front(), states_max, live, &choices);
      results[g] = search.go();
      results[g].stats.covered = static_cast<int>(groups[g].size()) - 1;
      std::lock_guard<std::mutex> hold(m);
      ++done;
      cv.notify_all();
    }
  };
  auto worker = [&] { guarded(live, work); };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  int jobs = std::clamp(o.jobs, 1, static_cast<int>(groups.size()));
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  auto all_done_within = [&](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> hold(m);
    return cv.wait_for(hold, d, [&] { return done == groups.size(); });
  };
  auto count = [&] {
    std::lock_guard<std::mutex> hold(m);
    return static_cast<int>(done);
  };
  watch(o, live, start, static_cast<int>(groups.size()), all_done_within, count);
  for (std::thread& t : pool) t.join();
  live.rethrow_failure();
  return results;
}

namespace {
// The results with only variant v's findings (a search of variants together
// has each one's).
std::vector<ChoiceResult> findings_of(std::vector<ChoiceResult> results, const std::string& v) {
  for (ChoiceResult& r : results)
    std::erase_if(r.findings, [&](const ExploreFinding& f) { return f.counterexample.variant != v; });
  return results;
}
}  // namespace

std::vector<ChoiceResult> explore_choices(const ExploreOptions& o) {
  std::string bad = validate(o);
  if (!bad.empty()) throw std::invalid_argument(bad);
  std::vector<Topology> all = op_set_choices(o);
  // The share of the whole bound's choices, whichever shard runs them.
  long long total = static_cast<long long>(all.size());
  long long share = o.states_max > 0 ? std::max(1LL, (o.states_max + total - 1) / total) : 0;
  std::vector<Topology> topologies;
  for (size_t i : shard_choices(o)) topologies.push_back(all[i]);
  if (lazily(o)) return explore_lazily(o, topologies, share);
  size_t n = topologies.size();
  std::vector<ChoiceResult> results(n);
  Live live;
  // Choices with more ops present reach more code and take longest: start
  // them first so that no large one runs alone at the end. Results stay in
  // choice order, so the order of work changes no output.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  auto ops_present = [&](size_t i) {
    return std::popcount(static_cast<unsigned>(topologies[i].iommus[1].ops)) +
           std::popcount(static_cast<unsigned>(topologies[i].domains[1].ops));
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ops_present(a) > ops_present(b); });
  ChoiceQueue queue(o, topologies, std::move(order));
  auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    while (std::optional<ChoiceQueue::Turn> turn = queue.take()) {
      size_t i = turn->choice;
      results[i] = turn->from ? as_choice(results[*turn->from], topologies[i])
                              : search_choice(o, topologies[i], share, live, queue.footprint(i));
      queue.finished(i, !turn->from, !turn->from && stands_for_others(o, results[i]));
    }
  };
  auto worker = [&] { guarded(live, work); };
  std::vector<std::thread> pool;
  int jobs = std::clamp(o.jobs, 1, static_cast<int>(n));
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  watch(o, live, start, static_cast<int>(n), [&](std::chrono::milliseconds d) { return queue.all_done_within(d); },
        [&] { return queue.done(); });
  for (std::thread& t : pool) t.join();
  live.rethrow_failure();
  return results;
}

ExploreResult merge_variants(const ExploreOptions& o, const std::vector<ChoiceResult>& results, double seconds) {
  if (o.searched_with.empty()) return merge_choices(o, results, seconds);
  ExploreResult out = merge_choices(o, findings_of(results, o.variant), seconds);
  for (const std::string& v : o.searched_with) {
    ExploreOptions ov = o;
    ov.variant = v;
    ov.searched_with.clear();
    out.searched_with.push_back(merge_choices(ov, findings_of(results, v), seconds));
  }
  return out;
}

ExploreResult explore(const ExploreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  std::vector<ChoiceResult> results = explore_choices(o);
  return merge_variants(o, results, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

EngineReport explore_variant(const ExploreOptions& o) { return explore(o).report; }

}  // namespace luv
