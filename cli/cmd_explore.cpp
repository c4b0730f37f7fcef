// `luv explore`: every Scenario within a bound; per property, holds
// (exhaustively) or violated with a counterexample file.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/output_file.h"
#include "counterexamples/scenario_json.h"
#include "explore/explore.h"

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

void print_table(const ExploreStats& s) {
  std::printf("%-22s %lld\n", "states", s.states);
  std::printf("%-22s %lld\n", "transitions (replays)", s.transitions);
  std::printf("%-22s %lld\n", "pruned: visited", s.pruned_visited);
  std::printf("%-22s %lld\n", "pruned: sleep sets", s.pruned_sleep);
  std::printf("%-22s %.0f\n", "states/s", s.states_per_second());
  std::printf("%-22s %lld (%.1f bytes each, collision odds %.2g)\n", "visited fingerprints", s.visited,
              s.bytes_per_visited(), s.collision_odds);
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

}  // namespace

LUV_COMMAND(explore, "explore", "Enumerate every Scenario within a bound; report each property exhaustively") {
  struct options {
    ExploreOptions x;
    std::string mode = "adversarial";
    std::string iommu1 = "all", domain1 = "all";
    int objects_per_page = 2;
    bool no_por = false, no_hashing = false, world_frames = false, no_symmetry = false, quiet = false;
    std::string json_out, cx_dir;
    double budget = 0;
    long long memory_max_mb = 0;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("--variant", o->x.variant, "reference, v2, v2-warn, or reference+mutant:NAME")->required();
  cmd->add_option("--mode", o->mode, "contract or adversarial")->default_val("adversarial");
  cmd->add_option("--threads", o->x.threads, "threads")->default_val(2);
  cmd->add_option("--calls", o->x.calls, "calls in total")->default_val(4);
  cmd->add_option("--faults", o->x.faults, "faults at most")->default_val(1);
  cmd->add_option("--objects-per-page", o->objects_per_page, "objects per KHO array page")->default_val(2);
  cmd->add_option("--iommu1-ops", o->iommu1, "IOMMU 1's op sets: all, or masks like 0,5,15")->default_val("all");
  cmd->add_option("--domain1-ops", o->domain1, "domain 1's op sets: all, or masks like 0,3")->default_val("all");
  cmd->add_flag("--bfs", o->x.bfs, "shortest counterexamples: fewest calls, then fewest steps");
  cmd->add_flag("--no-por", o->no_por, "turn partial-order reduction (sleep sets) off");
  cmd->add_flag("--no-hashing", o->no_hashing, "turn the visited set off");
  cmd->add_flag("--world-frames", o->world_frames,
                "key a paused thread on the whole World at each resume, not on what it read (coarser)");
  cmd->add_flag("--no-symmetry", o->no_symmetry, "keep a state and its mirror (two threads swapped) apart");
  cmd->add_option("--states-max", o->x.states_max, "stop after this many states, shared by the op-set choices (0: no limit)")
      ->default_val(0)
      ->check(integer_range(0, INT64_MAX));
  cmd->add_option("--budget", o->budget, "time budget in seconds: a search it cuts is unknown (0: none)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--memory-max", o->memory_max_mb,
                  "stop when the process's resident memory passes this many MiB: unknown, not a crash (0: no limit)")
      ->default_val(default_memory_max_mb())
      ->check(integer_range(0, INT64_MAX / (1024 * 1024)));
  cmd->add_option("--jobs", o->x.jobs, "op-set choices searched at once (default: the machine's cores); the result does not depend on it")
      ->default_val(default_jobs())
      ->check(CLI::Range(1, 256));
  cmd->add_option("--json", o->json_out, "write the report here (counterexamples beside it)");
  cmd->add_option("--counterexamples", o->cx_dir, "folder for counterexample files (default: beside --json)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines");
  return [o] {
    ExploreOptions x = o->x;
    if (o->mode == "contract") x.mode = CallerMode::contract;
    else if (o->mode == "adversarial") x.mode = CallerMode::adversarial;
    else throw BadInput{"--mode: unknown mode '" + o->mode + "' (expected contract or adversarial)"};
    x.iommu1_ops = parse_masks(o->iommu1, "--iommu1-ops", IOMMU_OPS_ALL);
    x.domain1_ops = parse_masks(o->domain1, "--domain1-ops", DOMAIN_OPS_ALL);
    x.topology.objects_per_page = o->objects_per_page;
    x.por = !o->no_por;
    x.hashing = !o->no_hashing;
    x.read_frames = !o->world_frames;
    x.symmetry = !o->no_symmetry;
    x.memory_max_bytes = o->memory_max_mb * 1024 * 1024;
    x.deadline = deadline_after(o->budget);
    std::string bad = validate(x);
    if (!bad.empty()) throw BadInput{bad};
    std::string dir = counterexample_dir(o->cx_dir, o->json_out);  // every path, before the search
    set_phase("explore " + x.variant + " (" + o->mode + " mode)");
    bool tty = isatty(fileno(stderr));
    if (!o->quiet)
      x.progress = [tty](const ExploreStats& s) {
        std::fprintf(stderr, "%sexplore: %lld states, %.0f states/s, frontier %lld, op sets done %d/%d, %s%s",
                     tty ? "\r" : "", s.states, s.states_per_second(), s.frontier, s.topology, s.topologies,
                     mib(s.peak_rss_bytes).c_str(), tty ? "   " : "\n");
      };
    ExploreResult r = explore(x);
    if (!o->quiet && tty) std::fprintf(stderr, "\n");
    throw_if_interrupted();

    nlohmann::json report;
    report["engine"] = "explore";
    report["variant"] = x.variant;
    report["mode"] = r.report.mode;
    report["bound"] = {{"threads", x.threads}, {"calls", x.calls}, {"faults", x.faults},
                       {"objects_per_page", x.topology.objects_per_page}, {"bfs", x.bfs}, {"por", x.por},
                       {"hashing", x.hashing}, {"read_frames", x.read_frames}, {"symmetry", x.symmetry}};
    const ExploreStats& s = r.stats;
    report["stats"] = {{"states", s.states}, {"transitions", s.transitions}, {"pruned_visited", s.pruned_visited},
                       {"pruned_sleep", s.pruned_sleep}, {"visited", s.visited},
                       {"bytes_per_visited", s.bytes_per_visited()}, {"collision_odds", s.collision_odds},
                       {"peak_rss_bytes", s.peak_rss_bytes}, {"seconds", s.seconds},
                       {"states_per_second", s.states_per_second()}, {"complete", s.complete}};
    if (!s.complete) report["stats"]["cut_by"] = cut_by_name(s.cut_by);
    report["outcomes"] = nlohmann::json::array();
    bool violated = false;
    std::printf("%-26s %-10s %s\n", "property", "status", "how");
    for (const PropertyOutcome& po : r.report.outcomes) {
      nlohmann::json oj = {{"property", property_name(po.property)}, {"status", status_name(po.status)}, {"how", po.how}};
      std::string where;
      if (po.counterexample) {
        violated = true;
        oj["violation"] = {{"step", po.violation->step}, {"message", po.violation->message}};
        if (!dir.empty()) {
          where = dir + "/explore-" + x.variant + "-" + r.report.mode + "-" + property_name(po.property) + ".json";
          for (char& c : where)
            if (c == ':' || c == '+') c = '_';
          if (!write_whole_file(where, scenario_to_json(*po.counterexample).dump(1) + "\n"))
            throw BadInput{where + ": cannot write"};
          oj["counterexample"] = where;
        }
      }
      report["outcomes"].push_back(oj);
      std::printf("%-26s %-10s %s%s\n", property_name(po.property), status_name(po.status), po.how.c_str(),
                  where.empty() ? "" : (" -> " + where).c_str());
    }
    std::printf("\n");
    print_table(s);
    if (!o->json_out.empty() && !write_report(o->json_out, report.dump(2) + "\n"))
      throw BadInput{o->json_out + ": cannot write"};
    return violated ? EXIT_VIOLATION : EXIT_OK;
  };
}

}  // namespace luv::cli
