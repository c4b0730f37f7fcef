// `luv prove`: the Z3 engine. Per property: proved (method, time), violated
// (depth, confirmed by the Runner; a counterexample file when asked for) or
// unknown (why). Exit 0 when every property is proved, 1 otherwise, 2 on
// bad input, 130 interrupted.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/output_file.h"
#include "counterexamples/scenario_json.h"
#include "impl/variant.h"
#include "properties/runner.h"
#include "solver/prove.h"

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

}  // namespace

LUV_COMMAND(prove, "prove", "Prove the call-level properties with Z3, or find counterexamples the Runner confirms") {
  struct options {
    solver::ProveOptions p;
    std::string mode = "adversarial", ops = "spec";
    int iommus = 0, domains = 0, devices = 0, objects_per_page = 2;
    std::string device_iommus, iommu_ops, domain_ops;
    std::vector<std::string> properties;
    bool no_minimise = false;
    std::string json_out, cx_dir;
    double budget = kDefaultBudget;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("--variant", o->p.variant, "reference, v2, v2-warn, ...")->required();
  cmd->add_option("--depth", o->p.depth, "bounded search: paths of 1..K calls")
      ->default_val(kDefaultDepth)
      ->check(CLI::Range(1, 20));
  cmd->add_option("--budget", o->budget, "time budget in seconds; what it leaves undecided is unknown (0: none)")
      ->default_val(kDefaultBudget)
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--mode", o->mode, "adversarial (every entry point) or contract (iommufd/VFIO orders)")
      ->default_val("adversarial");
  // Ranges are refused at parse time (a 0 was taken as "the default" before).
  cmd->add_option("--iommus", o->iommus, "topology: IOMMUs (default: SPEC.md's default bound)")
      ->check(CLI::Range(1, SCENARIO_IOMMUS_MAX));
  cmd->add_option("--domains", o->domains, "topology: domains")->check(CLI::Range(1, SCENARIO_DOMAINS_MAX));
  cmd->add_option("--devices", o->devices, "topology: devices, spread evenly over the IOMMUs")
      ->check(CLI::Range(1, SCENARIO_DEVICES_MAX));
  cmd->add_option("--device-iommus", o->device_iommus, "topology: each device's IOMMU, e.g. 0,1,1");
  cmd->add_option("--objects-per-page", o->objects_per_page, "objects per KHO array page")->default_val(2);
  cmd->add_option("--ops", o->ops,
                  "symbolic driver op sets: spec (IOMMU 1 and domain 1, as SPEC.md), all, or fixed")
      ->default_val("spec");
  cmd->add_option("--iommu-ops", o->iommu_ops, "op masks of the IOMMUs whose ops are fixed, e.g. 15,7");
  cmd->add_option("--domain-ops", o->domain_ops, "op masks of the domains whose ops are fixed, e.g. 3,1");
  cmd->add_option("--property", o->properties, "only these properties (repeatable)");
  cmd->add_flag("--no-minimise", o->no_minimise, "report the whole inductive strengthening, not the part needed");
  cmd->add_flag("--spacer", o->p.spacer, "also prove each property with Spacer (constrained Horn clauses)");
  cmd->add_option("--spacer-timeout", o->p.spacer_timeout_ms, "Spacer's budget per property, in ms")
      ->default_val(60000)
      ->check(integer_range(0, 3600000));
  cmd->add_flag("-v,--verbose", o->p.verbose, "progress lines on stderr");
  cmd->add_flag("--cross-check", o->p.cross_check,
                "confirm counterexamples with the Z3 snapshot checks beside the C++ ones at every call");
  cmd->add_option("--json", o->json_out, "write the report here (counterexamples beside it)");
  cmd->add_option("--counterexamples,--save", o->cx_dir,
                  "write counterexample files into this folder (default: beside --json; without either, none)");
  return [o] {
    solver::ProveOptions p = o->p;
    p.keep_context = true;  // the process exits right after; deleting Z3's context takes seconds
    if (std::string bad = impl::unknown_variant(p.variant); !bad.empty()) throw BadInput{"--variant: " + bad};
    if (o->mode == "adversarial") p.mode = CallerMode::adversarial;
    else if (o->mode == "contract") p.mode = CallerMode::contract;
    else throw BadInput{"--mode: '" + o->mode + "' is not contract or adversarial"};
    if (o->ops == "spec") p.ops = solver::OpsMode::spec;
    else if (o->ops == "all") p.ops = solver::OpsMode::all;
    else if (o->ops == "fixed") p.ops = solver::OpsMode::fixed;
    else throw BadInput{"--ops: '" + o->ops + "' is not spec, all or fixed"};
    p.minimise = !o->no_minimise;

    Topology t = default_topology();
    if (o->iommus || o->domains || o->devices || !o->device_iommus.empty()) {
      int iommus = o->iommus ? o->iommus : 2, domains = o->domains ? o->domains : 2;
      int devices = o->devices ? o->devices : 3;
      if (iommus < 1 || iommus > 8) throw BadInput{"--iommus: " + std::to_string(iommus) + " is outside 1..8"};
      if (domains < 1 || domains > 8) throw BadInput{"--domains: " + std::to_string(domains) + " is outside 1..8"};
      if (devices < 1 || devices > 12) throw BadInput{"--devices: " + std::to_string(devices) + " is outside 1..12"};
      t.iommus.assign(iommus, IommuSpec{});
      t.domains.assign(domains, DomainSpec{});
      t.devices.clear();
      std::vector<int> map = parse_number_list(o->device_iommus, "--device-iommus", iommus - 1, "an IOMMU");
      if (!map.empty() && static_cast<int>(map.size()) != devices)
        throw BadInput{"--device-iommus: " + std::to_string(map.size()) + " entries for " + std::to_string(devices) +
                       " devices"};
      for (int v = 0; v < devices; ++v) t.devices.push_back(DeviceSpec{map.empty() ? v * iommus / devices : map[v]});
    }
    t.objects_per_page = o->objects_per_page;
    std::vector<int> im = parse_number_list(o->iommu_ops, "--iommu-ops", 15, "an op set"),
                     dm = parse_number_list(o->domain_ops, "--domain-ops", 3, "an op set");
    for (size_t i = 0; i < im.size() && i < t.iommus.size(); ++i) t.iommus[i].ops = static_cast<impl::u8>(im[i]);
    for (size_t d = 0; d < dm.size() && d < t.domains.size(); ++d) t.domains[d].ops = static_cast<impl::u8>(dm[d]);
    p.topology = t;
    if (!o->properties.empty()) {
      p.properties.reset();
      for (const std::string& name : o->properties) {
        PropertyId id;
        if (!property_parse(name, id) || solver::checked_index(id) < 0)
          throw BadInput{"--property: '" + name + "' is not one of the six call-level properties"};
        p.properties.set(static_cast<size_t>(id));
      }
    }

    std::string dir = counterexample_dir(o->cx_dir, o->json_out);  // every output path, before solving
    p.deadline = deadline_after(o->budget);

    // What it will do, before it does it (a proof can take minutes).
    std::printf("luv prove: variant %s, %s calls, %zu IOMMUs, %zu domains, %zu devices, %d objects/page, ops %s, "
                "depth %d, %s\n",
                p.variant.c_str(), caller_mode_name(p.mode), t.iommus.size(), t.domains.size(), t.devices.size(),
                t.objects_per_page, o->ops.c_str(), p.depth, budget_text(o->budget).c_str());
    std::fflush(stdout);
    set_phase("prove " + p.variant);
    solver::ProveResult r;
    try {
      r = solver::prove(p);
    } catch (const std::invalid_argument& e) {
      throw BadInput{e.what()};
    }
    throw_if_interrupted();
    std::printf("%-26s %-9s %-9s %s\n", "property", "status", "time", "how");
    nlohmann::ordered_json props = nlohmann::ordered_json::array();
    bool all_proved = true, violated = false;
    for (const solver::PropertyDetail& d : r.details) {
      nlohmann::ordered_json j;
      j["property"] = property_name(d.property);
      j["status"] = status_name(d.status);
      j["seconds"] = d.seconds;
      std::string how;
      if (d.status == Status::proved) {
        how = d.method;
        if (!d.lemmas.empty()) {
          how += " with";
          for (const std::string& n : d.lemmas) how += " " + n;
        }
        j["method"] = d.method;
        j["lemmas"] = d.lemmas;
      } else if (d.status == Status::violated) {
        std::string path = dir.empty() ? "" : dir + "/" + file_name(p.variant, d.property);
        nlohmann::json file = scenario_to_json(*d.counterexample);
        // What a replay with every property on reports: the first violation
        // at that call (another property may come first in the Runner's order).
        Verdict replay = run(*d.counterexample).verdict;
        const Violation& v = replay.violation ? *replay.violation : *d.violation;
        file["description"] = std::string("found by luv prove: ") + std::to_string(d.depth) + " call(s) of " +
                              p.variant + " end in a violation of " + property_name(d.property) + ": " +
                              d.violation->message;
        file["expected"] = {{"property", property_name(v.property)},
                            {"step", v.step},
                            {"thread", v.thread},
                            {"call", v.call},
                            {"message", v.message}};
        file["found_by"] = "prove";
        how = std::to_string(d.depth) + " call(s), confirmed by the Runner";
        j["depth"] = d.depth;
        if (!path.empty()) {
          if (!write_whole_file(path, file.dump(2) + "\n")) throw BadInput{path + ": cannot write"};
          how += ": " + path;
          j["counterexample"] = path;
        } else {
          j["scenario"] = file;  // nowhere to save it: the report carries it
        }
        j["violation"] = d.violation->message;
        violated = true;
      } else {
        how = d.why;
        j["why"] = d.why;
        if (!d.encoding_bug.empty()) j["encoding_bug"] = d.encoding_bug;
      }
      if (!d.cti.empty()) j["cti"] = d.cti;
      if (!d.spacer.empty()) {
        j["spacer"] = d.spacer;
        how += "; " + d.spacer;
      }
      all_proved = all_proved && d.status == Status::proved;
      std::printf("%-26s %-9s %-9s %s\n", property_name(d.property), status_name(d.status), seconds(d.seconds).c_str(),
                  how.c_str());
      if (d.status == Status::violated) std::printf("%28s%s\n", "", d.violation->message.c_str());
      props.push_back(j);
    }
    for (const std::string& bug : r.cross_check_disagreements) std::printf("cross-check: %s\n", bug.c_str());
    std::printf("inductive lemmas (Houdini) for %s: ", p.variant.c_str());
    for (const std::string& n : r.inductive_lemmas) std::printf("%s ", n.c_str());
    std::printf("\ntotal %s\n", seconds(r.report.seconds).c_str());
    for (const solver::PropertyDetail& d : r.details)
      if (!d.cti.empty() && d.status == Status::proved)
        std::printf("%s, plain induction: %s", property_name(d.property), d.cti.c_str());

    if (!o->json_out.empty()) {
      Scenario probe;
      probe.topology = t;
      nlohmann::ordered_json j;
      j["engine"] = "prove";
      j["variant"] = p.variant;
      j["mode"] = caller_mode_name(p.mode);
      j["topology"] = scenario_to_json(probe)["topology"];
      j["ops_symbolic"] = o->ops;
      j["depth"] = p.depth;
      j["properties"] = props;
      j["inductive_lemmas"] = r.inductive_lemmas;
      j["cross_check_disagreements"] = r.cross_check_disagreements;
      j["seconds"] = r.report.seconds;
      j["budget"] = o->budget;
      if (!write_report(o->json_out, j.dump(2) + "\n")) throw BadInput{o->json_out + ": cannot write"};
    }
    return all_proved && !violated && r.cross_check_disagreements.empty() ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
