// `luv prove`: the Z3 engine. Per property: proved (method, time), violated
// (depth, confirmed by the Runner; a counterexample file when asked for) or
// unknown (why). Exit 0 when every property is proved, 1 otherwise, 2 on
// bad input, 130 interrupted.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/counterexample.h"
#include "solver/prove.h"
#include "verify/reports.h"

namespace luv::cli {

namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

std::string file_name(const std::string& variant, PropertyId p) {
  std::string v = variant;
  for (char& ch : v)
    if (ch == ':' || ch == '+' || ch == '/') ch = '_';
  return "prove-" + v + "-" + property_name(p) + ".json";
}

// Defaults that finish on this machine in a few minutes (bench/RESULTS.md,
// "Interrupts and budgets"): depth 5 took over 20 minutes on the reference.
constexpr int kDefaultDepth = 3;
constexpr double kDefaultBudget = 600;

std::string budget_text(double budget) {
  if (budget <= 0) return "no budget";
  char buf[96];
  std::snprintf(buf, sizeof buf, "budget %.0f s (--budget; what it cuts is unknown)", budget);
  return buf;
}

struct prove_flags {
  solver::ProveOptions p;
  std::string mode = "adversarial", ops = "spec";
  TopologyFlags topology;
  std::vector<std::string> properties;
  bool no_minimise = false;
  std::string json_out, cx_dir;
  double budget = kDefaultBudget;
};

void add_solver_options(CLI::App* cmd, prove_flags& o) {
  add_variant_option(cmd, o.p.variant)->required();
  cmd->add_option("--depth", o.p.depth, "bounded search: paths of 1..K calls")
      ->default_val(kDefaultDepth)
      ->check(CLI::Range(1, 20));
  cmd->add_option("--budget", o.budget, "time budget in seconds; what it leaves undecided is unknown (0: none)")
      ->default_val(kDefaultBudget)
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--mode", o.mode, "adversarial (every entry point) or contract (iommufd/VFIO orders)")
      ->default_val("adversarial");
  add_topology_options(cmd, o.topology);
  cmd->add_option("--ops", o.ops,
                  "symbolic driver op sets: spec (IOMMU 1 and domain 1, as docs/SPEC.md \"The default bound\" has them), all, or fixed")
      ->default_val("spec");
  cmd->add_option("--property", o.properties, "only these properties (repeatable)");
  cmd->add_flag("--no-minimise", o.no_minimise, "report the whole inductive strengthening, not the part needed");
  cmd->add_flag("--spacer", o.p.spacer, "also prove each property with Spacer (constrained Horn clauses)");
  cmd->add_option("--spacer-timeout", o.p.spacer_timeout_ms, "Spacer's budget per property, in ms")
      ->default_val(60000)
      ->check(integer_range(0, 3600000));
  cmd->add_flag("-v,--verbose", o.p.verbose, "progress lines on stderr");
  cmd->add_flag("--cross-check", o.p.cross_check,
                "confirm counterexamples with the Z3 snapshot checks beside the C++ ones at every call");
}

solver::OpsMode parse_ops(const std::string& ops) {
  if (ops == "spec") return solver::OpsMode::spec;
  if (ops == "all") return solver::OpsMode::all;
  if (ops == "fixed") return solver::OpsMode::fixed;
  throw BadInput{"--ops: '" + ops + "' is not spec, all or fixed"};
}

// The flags' topology, within what the encoding takes (8 IOMMUs, 8 domains, 12 devices).
Topology prove_topology(const TopologyFlags& flags) {
  Topology t = topology_from(flags);
  auto within = [](const char* option, size_t n, size_t max) {
    if (n > max) throw BadInput{std::string(option) + ": " + std::to_string(n) + " is outside 1.." + std::to_string(max)};
  };
  within("--iommus", t.iommus.size(), 8);
  within("--domains", t.domains.size(), 8);
  within("--devices", t.devices.size(), 12);
  return t;
}

PropertySet parse_properties(const std::vector<std::string>& names, PropertySet all) {
  if (names.empty()) return all;
  PropertySet out;
  for (const std::string& name : names) {
    PropertyId id;
    if (!property_parse(name, id) || solver::checked_index(id) < 0)
      throw BadInput{"--property: '" + name + "' is not one of the six call-level properties"};
    out.set(static_cast<size_t>(id));
  }
  return out;
}

solver::ProveOptions prove_options(const prove_flags& o) {
  solver::ProveOptions p = o.p;
  p.keep_context = true;  // the process exits right after; deleting Z3's context takes seconds
  checked_variant(p.variant);
  p.mode = parse_mode(o.mode);
  p.ops = parse_ops(o.ops);
  p.minimise = !o.no_minimise;
  p.topology = prove_topology(o.topology);
  p.properties = parse_properties(o.properties, p.properties);
  return p;
}

// What it will do, before it does it (a proof can take minutes).
void print_plan(const solver::ProveOptions& p, const prove_flags& o) {
  const Topology& t = p.topology;
  std::printf("luv prove: variant %s, %s calls, %zu IOMMUs, %zu domains, %zu devices, %d objects/page, ops %s, "
              "depth %d, %s\n",
              p.variant.c_str(), caller_mode_name(p.mode), t.iommus.size(), t.domains.size(), t.devices.size(),
              t.objects_per_page, o.ops.c_str(), p.depth, budget_text(o.budget).c_str());
  std::fflush(stdout);
}

solver::ProveResult run_prove(const solver::ProveOptions& p) {
  set_phase("prove " + p.variant);
  try {
    return solver::prove(p);
  } catch (const std::invalid_argument& e) {
    throw BadInput{e.what()};
  }
}

// The finding of `d` as a counterexample file (FORMAT.md), judged on its
// property alone, as every engine's finding is.
Counterexample prove_finding(const solver::ProveOptions& p, const solver::PropertyDetail& d) {
  return finding_counterexample(*d.counterexample, only(d.property), "prove",
                                std::string("found by luv prove: ") + std::to_string(d.depth) + " call(s) of " +
                                    p.variant + " end in a violation of " + property_name(d.property),
                                d.violation->message);
}

// One property's line: the `how` printed and the JSON report's entry; a
// finding is saved into `dir` when there is one, else carried by the report.
struct property_line {
  std::string how;
  nlohmann::ordered_json json;
};

property_line violated_line(const solver::ProveOptions& p, const solver::PropertyDetail& d, const PropertyOutcome& o,
                            const std::string& dir) {
  Counterexample file = prove_finding(p, d);
  std::string path = dir.empty() ? "" : dir + "/" + file_name(p.variant, d.property);
  if (!path.empty() && !write_counterexample_file(path, file)) throw BadInput{path + ": cannot write"};
  property_line l;
  l.how = std::to_string(d.depth) + " call(s), confirmed by the Runner" + (path.empty() ? "" : ": " + path);
  PropertyOutcome shown = o;
  shown.how = l.how;
  l.json = outcome_json(shown, file, path);
  l.json["depth"] = d.depth;
  return l;
}

property_line detail_line(const solver::ProveOptions& p, const solver::PropertyDetail& d, const std::string& dir) {
  PropertyOutcome o;
  o.property = d.property;
  o.status = d.status;
  o.violation = d.violation;
  property_line l;
  if (d.status == Status::violated) {
    l = violated_line(p, d, o, dir);
  } else {
    o.how = d.status == Status::proved ? d.method : d.why;
    if (d.status == Status::proved && !d.lemmas.empty()) o.how += " with";
    for (const std::string& n : d.status == Status::proved ? d.lemmas : std::vector<std::string>{}) o.how += " " + n;
    l.how = o.how;
    l.json = outcome_json(o, std::nullopt);
    if (d.status == Status::proved) l.json["method"] = d.method, l.json["lemmas"] = d.lemmas;
    else l.json["why"] = d.why;
    if (d.status != Status::proved && !d.encoding_bug.empty()) l.json["encoding_bug"] = d.encoding_bug;
  }
  l.json["seconds"] = d.seconds;
  if (!d.cti.empty()) l.json["cti"] = d.cti;
  if (!d.spacer.empty()) l.json["spacer"] = d.spacer, l.how += "; " + d.spacer;
  return l;
}

// Prints each property's line; returns the report's entries.
nlohmann::ordered_json report_properties(const solver::ProveOptions& p, const solver::ProveResult& r,
                                         const std::string& dir) {
  std::printf("%-26s %-9s %-9s %s\n", "property", "status", "time", "how");
  nlohmann::ordered_json props = nlohmann::ordered_json::array();
  for (const solver::PropertyDetail& d : r.details) {
    property_line l = detail_line(p, d, dir);
    std::printf("%-26s %-9s %-9s %s\n", property_name(d.property), status_name(d.status), seconds(d.seconds).c_str(),
                l.how.c_str());
    if (d.status == Status::violated) std::printf("%28s%s\n", "", d.violation->message.c_str());
    props.push_back(l.json);
  }
  return props;
}

void print_summary(const solver::ProveOptions& p, const solver::ProveResult& r) {
  for (const std::string& bug : r.cross_check_disagreements) std::printf("cross-check: %s\n", bug.c_str());
  std::printf("inductive lemmas (Houdini) for %s: ", p.variant.c_str());
  for (const std::string& n : r.inductive_lemmas) std::printf("%s ", n.c_str());
  std::printf("\ntotal %s\n", seconds(r.report.seconds).c_str());
  for (const solver::PropertyDetail& d : r.details)
    if (!d.cti.empty() && d.status == Status::proved)
      std::printf("%s, plain induction: %s", property_name(d.property), d.cti.c_str());
}

nlohmann::ordered_json prove_report(const prove_flags& o, const solver::ProveOptions& p, const solver::ProveResult& r,
                                    nlohmann::ordered_json props) {
  Scenario probe;
  probe.topology = p.topology;
  nlohmann::ordered_json j = engine_report_json(r.report, std::move(props), "properties");
  j["topology"] = scenario_to_json(probe)["topology"];
  j["ops_symbolic"] = o.ops;
  j["depth"] = p.depth;
  j["inductive_lemmas"] = r.inductive_lemmas;
  j["cross_check_disagreements"] = r.cross_check_disagreements;
  j["budget"] = o.budget;
  return j;
}

int prove_command(const prove_flags& o) {
  solver::ProveOptions p = prove_options(o);
  std::string dir = counterexample_dir(o.cx_dir, o.json_out);  // every output path, before solving
  p.deadline = deadline_after(o.budget);
  print_plan(p, o);
  solver::ProveResult r = run_prove(p);
  throw_if_interrupted();
  nlohmann::ordered_json props = report_properties(p, r, dir);
  print_summary(p, r);
  if (!o.json_out.empty() && !write_report(o.json_out, prove_report(o, p, r, std::move(props)).dump(2) + "\n"))
    throw BadInput{o.json_out + ": cannot write"};
  bool all_proved = true;
  for (const solver::PropertyDetail& d : r.details) all_proved = all_proved && d.status == Status::proved;
  return all_proved && r.cross_check_disagreements.empty() ? EXIT_OK : EXIT_VIOLATION;
}

}  // namespace

LUV_COMMAND(prove, "prove", "Prove the call-level properties with Z3, or find counterexamples the Runner confirms") {
  auto o = std::make_shared<prove_flags>();
  add_solver_options(cmd, *o);
  cmd->add_option("--json", o->json_out, "write the report here (counterexamples beside it)");
  cmd->add_option("--counterexamples,--save", o->cx_dir,
                  "write counterexample files into this folder (default: beside --json; without either, none)");
  return [o] { return prove_command(*o); };
}

}  // namespace luv::cli
