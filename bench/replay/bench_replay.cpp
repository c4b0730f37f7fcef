// bench_replay: what `luv replay FILE` costs (reading the file, the Runner
// with the model-refinement observer and a trace, every judge built in, the
// comparison) against the file's number of calls and its topology's size.
//
// Back of the envelope: a call is under 10 scheduler steps, the object graph
// at a quiescent point and the model's abstraction are a few microseconds for
// docs/SPEC.md's topology, and each judge runs the calls once more (the model a
// second Runner run and one model step a call; the solver one step of the
// encoding a call, each folded to constants). So replay should cost tens of
// microseconds per call, linear in calls; and, with a fixed number of calls,
// linear in the topology's objects (a quiescent check walks each object and
// record once; the encoding's state has a few terms per object).
//
// Each measurement runs in a child process of its own, so that its peak
// resident memory (getrusage) is its own. The files are generated: the
// reference, contract mode, a lifecycle with every call returning, expected
// `ok`; a row says FAIL if replay did not pass.
//
// Usage: bench_replay [runs=5] [cap_seconds=60] [series...]
//        bench_replay --file FILE (one replay in this process, for a profiler)
//        bench_replay --write SERIES=SIZE FILE (the file that size replays)
//   series: calls, calls-2threads, calls-flb-kept, iommus, objects (default: all); NAME=SIZE
//   measures that one size only (e.g. calls=1000, for a profiler)
// A size whose first run takes longer than cap_seconds is run once, and the
// series stops after it.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "verify/judges.h"

namespace {

using luv::Call;
using luv::CallKind;
using clock_type = std::chrono::steady_clock;

Call vfio(CallKind kind, int domain, int device) { return Call{kind, -1, domain, device}; }
Call iommufd(CallKind kind, int domain) { return Call{kind, -1, domain, -1}; }

// One VMM's lifecycle on `domain` with `devices`: the domain's file, each
// device's file, then each undone, as iommufd and VFIO call them.
std::vector<Call> lifecycle(int domain, const std::vector<int>& devices) {
  std::vector<Call> out{iommufd(CallKind::iommufd_preserve, domain)};
  for (int d : devices) out.push_back(vfio(CallKind::vfio_preserve, domain, d));
  for (int d : devices) out.push_back(vfio(CallKind::vfio_unpreserve, domain, d));
  out.push_back(iommufd(CallKind::iommufd_unpreserve, domain));
  return out;
}

// `n` calls: the cycle repeated, cut where n ends (a cut cycle leaves state
// preserved for the next kernel's restore).
std::vector<Call> repeat(const std::vector<Call>& cycle, int n) {
  std::vector<Call> out;
  for (int i = 0; i < n; ++i) out.push_back(cycle[static_cast<size_t>(i) % cycle.size()]);
  return out;
}

// docs/SPEC.md's topology, one thread of n calls.
luv::Scenario calls_one_thread(int n) {
  luv::Scenario s;
  s.threads = {repeat(lifecycle(0, {0, 1, 2}), n)};
  return s;
}

// One thread: domain 1's file preserved first and kept for the whole run,
// then the lifecycle on domain 0 repeated: the FLB lives throughout, so its
// record arrays grow with every preserve (slots are never reused).
luv::Scenario calls_flb_kept(int n) {
  luv::Scenario s;
  s.threads = {{iommufd(CallKind::iommufd_preserve, 1)}};
  for (const Call& c : repeat(lifecycle(0, {0, 1, 2}), n - 1)) s.threads[0].push_back(c);
  return s;
}

// Two VMMs (domain 0 with dev0; domain 1 with dev1 and dev2), n/2 calls each,
// interleaved one step at a time over the whole run: every call overlaps one
// of the other thread, so model-refinement judges segments by linearizability.
luv::Scenario calls_two_threads(int n) {
  luv::Scenario s;
  s.threads = {repeat(lifecycle(0, {0}), n / 2), repeat(lifecycle(1, {1, 2}), n - n / 2)};
  for (int i = 0; i < 12 * n && i < luv::SCENARIO_SCHEDULE_MAX; ++i) s.schedule.push_back(i % 2);
  return s;
}

// k IOMMUs, k domains and 2k devices (each kind up to its limit), device j
// behind IOMMU j mod k; every op present.
luv::Topology topology(int k) {
  luv::Topology t;
  t.objects_per_page = 2;
  t.iommus.assign(static_cast<size_t>(std::min(k, luv::SCENARIO_IOMMUS_MAX)), luv::IommuSpec{});
  t.domains.assign(static_cast<size_t>(std::min(k, luv::SCENARIO_DOMAINS_MAX)), luv::DomainSpec{});
  int devices = std::min(2 * k, luv::SCENARIO_DEVICES_MAX);
  for (int j = 0; j < devices; ++j) t.devices.push_back(luv::DeviceSpec{j % static_cast<int>(t.iommus.size())});
  return t;
}

// A fixed 4 calls on a topology of size k: the last domain and device.
luv::Scenario four_calls(int k) {
  luv::Scenario s;
  s.topology = topology(k);
  int domain = static_cast<int>(s.topology.domains.size()) - 1, dev = static_cast<int>(s.topology.devices.size()) - 1;
  s.threads = {lifecycle(domain, {dev})};
  return s;
}

// The lifecycle over every device of a topology of size k (2 + 2 x devices calls).
luv::Scenario every_device(int k) {
  luv::Scenario s;
  s.topology = topology(k);
  std::vector<int> all;
  for (int j = 0; j < static_cast<int>(s.topology.devices.size()); ++j) all.push_back(j);
  s.threads = {lifecycle(0, all)};
  return s;
}

struct series {
  const char* name;
  const char* size_name;
  std::vector<int> sizes;
  luv::Scenario (*make)(int);
};

// What one replay measured, from the child.
struct sample {
  double total = 0, read = 0, run = 0, model = 0, solver = 0;  // seconds
  long peak_kib = 0;
  int calls = 0;
  long long steps = 0;
  bool passed = false;
  char judges[160] = {};
};

double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

// `luv replay FILE` with a trace, as the command runs it by default, each
// part timed through wrappers around the Runner and the judges.
sample replay_once(const std::string& path) {
  sample out;
  auto t0 = clock_type::now();
  luv::Counterexample c = luv::read_counterexample_file(path);
  out.read = since(t0);
  std::vector<luv::Judge> judges;
  for (luv::Judge j : luv::linked_judges()) {
    double* slot = j.name == "model" ? &out.model : &out.solver;
    auto inner = j.judge;
    j.judge = [inner, slot](const luv::Scenario& s, const luv::RunResult& r, const luv::PropertySet& p) {
      auto t = clock_type::now();
      luv::JudgeOpinion o = inner(s, r, p);
      *slot += since(t);
      return o;
    };
    judges.push_back(j);
  }
  auto t_replay = clock_type::now();
  luv::ReplayReport report = luv::replay(c, judges, true);
  out.run = since(t_replay) - out.model - out.solver;  // replay() runs the Runner, then the judges
  std::string printed;  // what the command prints, built as it builds it
  for (const std::string& line : report.result.trace) printed += line + "\n";
  out.total = since(t0);
  out.calls = c.scenario.calls_total();
  out.steps = report.result.steps;
  out.passed = report.passed();
  std::string names;
  for (const std::string& n : report.judges) names += (names.empty() ? "" : ",") + n;
  std::snprintf(out.judges, sizeof out.judges, "%s%s", names.c_str(), printed.empty() ? " (no trace)" : "");
  if (!report.passed())
    std::fprintf(stderr, "bench_replay: %s: %s\n", path.c_str(),
                 report.mismatch.empty() ? report.disagreement->message.c_str() : report.mismatch.c_str());
  return out;
}

// One replay in a child process; its peak memory from wait4.
sample measure(const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sample s = replay_once(path);
    if (write(fds[1], &s, sizeof s) != static_cast<ssize_t>(sizeof s)) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  sample s;
  ssize_t got = read(fds[0], &s, sizeof s);
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (got != static_cast<ssize_t>(sizeof s) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_replay: the child replaying %s failed\n", path.c_str());
    std::exit(1);
  }
  s.peak_kib = usage.ru_maxrss;
  return s;
}

template <typename F>
double median_of(const std::vector<sample>& v, F field) {
  std::vector<double> xs;
  for (const sample& s : v) xs.push_back(static_cast<double>(field(s)));
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

bool write_file(const series& se, int size, const std::string& path) {
  luv::Counterexample c;
  c.scenario = se.make(size);
  c.description = std::string("bench_replay ") + se.name + " " + std::to_string(size);
  c.found_by = "hand";
  return luv::write_counterexample_file(path, c);
}

void run_series(const series& se, int runs, double cap) {
  std::printf("\n### %s\n\n| %s | calls | steps | total s | read | runner | model | solver | peak MiB | x per 10x | judges |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n",
              se.name, se.size_name);
  double last_total = 0;
  int last_size = 0;
  for (int size : se.sizes) {
    std::string path = "/tmp/bench_replay_" + std::to_string(getpid()) + ".json";
    if (!write_file(se, size, path)) {
      std::fprintf(stderr, "bench_replay: cannot write %s\n", path.c_str());
      std::exit(1);
    }
    std::vector<sample> got{measure(path)};
    bool capped = got.front().total > cap;
    while (!capped && static_cast<int>(got.size()) < runs) got.push_back(measure(path));
    std::remove(path.c_str());
    double total = median_of(got, [](const sample& s) { return s.total; });
    char growth[32] = "";
    if (last_total > 0 && size == 10 * last_size) std::snprintf(growth, sizeof growth, "%.1f", total / last_total);
    const sample& g = got.front();
    std::printf("| %d | %d | %lld | %.4f | %.4f | %.4f | %.4f | %.4f | %.1f | %s | %s%s |\n", size, g.calls, g.steps,
                total, median_of(got, [](const sample& s) { return s.read; }),
                median_of(got, [](const sample& s) { return s.run; }),
                median_of(got, [](const sample& s) { return s.model; }),
                median_of(got, [](const sample& s) { return s.solver; }),
                median_of(got, [](const sample& s) { return s.peak_kib; }) / 1024.0, growth, g.judges,
                std::all_of(got.begin(), got.end(), [](const sample& s) { return s.passed; }) ? "" : " FAIL");
    std::fflush(stdout);
    last_total = total, last_size = size;
    if (capped) {
      std::printf("(stopped: one run took %.1f s, over the cap of %.0f s)\n", g.total, cap);
      break;
    }
  }
}

const std::vector<series> all = {
    {"calls", "calls", {10, 100, 1000, 10000}, calls_one_thread},
    {"calls-2threads", "calls", {10, 100, 1000, 10000}, calls_two_threads},
    {"calls-flb-kept", "calls", {10, 100, 1000, 10000}, calls_flb_kept},
    {"iommus", "k (k IOMMUs, k domains, 2k devices, capped at the limits; 4 calls)", {1, 2, 4, 8, 16}, four_calls},
    {"objects", "k (as above; the lifecycle over every device)", {1, 2, 4, 8, 16}, every_device},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--file") == 0) {  // one replay in this process, for a profiler
    sample s = replay_once(argv[2]);
    std::printf("%s: %d calls, %lld steps, %.4f s (runner %.4f, model %.4f, solver %.4f), %s\n", argv[2], s.calls,
                s.steps, s.total, s.run, s.model, s.solver, s.passed ? "PASS" : "FAIL");
    return s.passed ? 0 : 1;
  }
  if (argc == 4 && std::strcmp(argv[1], "--write") == 0) {  // one generated file, for a profiler
    std::string arg = argv[2], name = arg.substr(0, arg.find('='));
    for (const series& se : all)
      if (name == se.name && name != arg) return write_file(se, std::atoi(arg.c_str() + name.size() + 1), argv[3]) ? 0 : 1;
    std::fprintf(stderr, "bench_replay: --write SERIES=SIZE FILE\n");
    return 2;
  }
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  double cap = argc > 2 ? std::atof(argv[2]) : 60;
  std::printf("bench_replay: %d run(s) per size, medians; cap %.0f s\n", runs, cap);
  for (series se : all) {
    bool wanted = argc <= 3;
    for (int i = 3; i < argc; ++i) {
      std::string arg = argv[i], name = arg.substr(0, arg.find('='));
      if (name != se.name) continue;
      wanted = true;
      if (name != arg) se.sizes = {std::atoi(arg.c_str() + name.size() + 1)};
    }
    if (wanted) run_series(se, std::max(runs, 1), cap);
  }
  return 0;
}
