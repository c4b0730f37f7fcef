#include "verify/reports.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>

#include "counterexamples/scenario_json.h"
#include "verify/xml.h"

namespace luv {

using nlohmann::ordered_json;

const char* cell_judgement_name(CellJudgement j) {
  switch (j) {
    case CellJudgement::match: return "match";
    case CellJudgement::mismatch: return "MISMATCH";
    case CellJudgement::missed: return "missed";
  }
  return "?";
}

CellJudgement judge_cell(bool expected_violated, Status got) {
  if (!expected_violated) return got == Status::violated ? CellJudgement::mismatch : CellJudgement::match;
  if (got == Status::violated) return CellJudgement::match;
  if (got == Status::proved) return CellJudgement::mismatch;  // a proof contradicts a replayed counterexample
  return CellJudgement::missed;
}

bool VerifyReport::passed() const {
  for (const MatrixCell& c : cells)
    if (c.judgement == CellJudgement::mismatch) return false;
  // Every expected violation must be seen by some engine (replay at least).
  std::map<std::pair<std::string, int>, bool> seen;
  for (const MatrixCell& c : cells)
    if (c.expected_violated) seen[{c.variant, static_cast<int>(c.property)}] |= c.status == Status::violated;
  for (const auto& [key, ok] : seen)
    if (!ok) return false;
  return true;
}

namespace {

const MatrixCell* find_cell(const VerifyReport& r, const std::string& v, PropertyId p, const std::string& e) {
  for (const MatrixCell& c : r.cells)
    if (c.variant == v && c.property == p && c.engine == e) return &c;
  return nullptr;
}

std::string cell_text(const MatrixCell* c) {
  if (!c) return "-";
  std::string s;
  switch (c->status) {
    case Status::holds: s = "holds"; break;
    case Status::proved: s = "PROVED"; break;
    case Status::violated: s = "VIOLATED"; break;
    case Status::unknown: s = "unknown"; break;
    case Status::not_checked: s = "-"; break;
  }
  if (c->judgement == CellJudgement::mismatch) s += "!";
  if (c->judgement == CellJudgement::missed) s += "?";
  return s;
}

}  // namespace

ordered_json violation_json(const Violation& v) {
  return {{"property", property_name(v.property)},
          {"step", v.step},
          {"thread", v.thread},
          {"call", v.call},
          {"message", v.message}};
}

ordered_json outcome_json(const PropertyOutcome& o, const std::optional<Counterexample>& file,
                          const std::string& saved_path) {
  ordered_json j;
  j["property"] = property_name(o.property);
  j["status"] = status_name(o.status);
  j["how"] = o.how;
  if (o.violation) j["violation"] = violation_json(*o.violation);
  if (!saved_path.empty()) j["counterexample"] = saved_path;
  else if (file) j["counterexample"] = counterexample_to_json(*file);
  return j;
}

ordered_json engine_report_json(const EngineReport& r, ordered_json outcomes, const char* list_key) {
  ordered_json j;
  j["engine"] = r.engine;
  j["variant"] = r.variant;
  j["mode"] = r.mode;
  j["seconds"] = r.seconds;
  j[list_key] = std::move(outcomes);
  return j;
}

std::string matrix_text(const VerifyReport& r) {
  std::ostringstream o;
  char buf[256];
  for (const std::string& v : r.variants) {
    o << "\n" << v << (v == "reference" ? " (expected: holds everything)" : " (expected: violates what the corpus shows, marked *)") << "\n";
    std::snprintf(buf, sizeof buf, "  %-26s", "property");
    o << buf;
    for (const std::string& e : r.engines) {
      std::snprintf(buf, sizeof buf, " %-10s", e.c_str());
      o << buf;
    }
    o << "\n";
    for (int p = 0; p < PROPERTY_COUNT; ++p) {
      PropertyId id = static_cast<PropertyId>(p);
      bool expected = false;
      for (const MatrixCell& c : r.cells)
        if (c.variant == v && c.property == id) expected |= c.expected_violated;
      std::snprintf(buf, sizeof buf, "  %-25s%s", property_name(id), expected ? "*" : " ");
      o << buf;
      for (const std::string& e : r.engines) {
        std::snprintf(buf, sizeof buf, " %-10s", cell_text(find_cell(r, v, id, e)).c_str());
        o << buf;
      }
      o << "\n";
    }
  }
  o << "\nlegend: VIOLATED a counterexample confirmed by the Runner; holds: none found within the engine's bound;\n"
       "PROVED: holds in every reachable state of the Z3 call-level encoding, whose inductive invariant also held\n"
       "on every implementation state the explorer reached (docs/SPEC.md); each property is judged on its own;\n"
       "-: not checked by that engine; ! differs from what is expected (fails verify); ? a known violation this\n"
       "engine did not reach within its bound (does not fail)\n";
  return o.str();
}

ordered_json report_json(const VerifyReport& r) {
  ordered_json j;
  j["passed"] = r.passed();
  j["seconds"] = r.seconds;
  j["variants"] = r.variants;
  j["engines"] = r.engines;
  j["cells"] = ordered_json::array();
  for (const MatrixCell& c : r.cells) {
    PropertyOutcome o;
    o.property = c.property;
    o.status = c.status;
    o.how = c.how;
    o.violation = c.violation;
    ordered_json cj = {{"variant", c.variant}, {"engine", c.engine}};
    cj.update(outcome_json(o, c.counterexample));
    cj["expected"] = c.expected_violated ? "violated" : "holds";
    cj["judgement"] = cell_judgement_name(c.judgement);
    if (c.violation && !c.location_file.empty()) cj["location"] = {{"file", c.location_file}, {"line", c.location_line}};
    j["cells"].push_back(cj);
  }
  j["notes"] = r.notes;
  return j;
}

std::string report_junit(const VerifyReport& r) {
  std::ostringstream o;
  int tests = 0, failures = 0, skipped = 0;
  for (const MatrixCell& c : r.cells) {
    ++tests;
    failures += c.judgement == CellJudgement::mismatch;
    skipped += c.status == Status::not_checked;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", r.seconds);
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<testsuites name=\"luv verify\" tests=\"" << tests << "\" failures=\"" << failures << "\" skipped=\"" << skipped
    << "\" time=\"" << secs << "\">\n";
  for (const std::string& v : r.variants) {
    int vt = 0, vf = 0, vs = 0;
    for (const MatrixCell& c : r.cells)
      if (c.variant == v) ++vt, vf += c.judgement == CellJudgement::mismatch, vs += c.status == Status::not_checked;
    o << "  <testsuite name=\"" << xml(v) << "\" tests=\"" << vt << "\" failures=\"" << vf << "\" skipped=\"" << vs
      << "\">\n";
    for (const MatrixCell& c : r.cells) {
      if (c.variant != v) continue;
      std::snprintf(secs, sizeof secs, "%.3f", c.seconds);
      o << "    <testcase classname=\"luv." << xml(v) << "." << xml(c.engine) << "\" name=\""
        << property_name(c.property) << "\" time=\"" << secs << "\">\n";
      std::string what = std::string(status_name(c.status)) + " (expected " +
                         (c.expected_violated ? "violated" : "holds") + "): " + c.how +
                         (c.violation ? "; " + c.violation->message : "");
      if (c.judgement == CellJudgement::mismatch)
        o << "      <failure message=\"" << xml(what) << "\" type=\"mismatch\"/>\n";
      else if (c.status == Status::not_checked)
        o << "      <skipped message=\"not checked by " << xml(c.engine) << "\"/>\n";
      else
        o << "      <system-out>" << xml(what) << "</system-out>\n";
      o << "    </testcase>\n";
    }
    o << "  </testsuite>\n";
  }
  o << "</testsuites>\n";
  return o.str();
}

namespace {

// A rule's name, for readers: "no-leak" -> "NoLeak". SARIF wants it to differ
// from the id (the multitool's SARIF1001), which stays the property id.
std::string rule_name(PropertyId id) {
  std::string out;
  bool upper = true;
  for (const char* c = property_name(id); *c; ++c) {
    if (*c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return out;
}

}  // namespace

ordered_json report_sarif(const VerifyReport& r) {
  ordered_json rules = ordered_json::array();
  for (int p = 0; p < PROPERTY_COUNT; ++p) {
    PropertyId id = static_cast<PropertyId>(p);
    rules.push_back({{"id", property_name(id)},
                     {"name", rule_name(id)},
                     {"shortDescription", {{"text", property_summary(id)}}}});
  }
  ordered_json results = ordered_json::array();
  for (const MatrixCell& c : r.cells) {
    if (c.status != Status::violated || !c.violation) continue;
    ordered_json physical;
    physical["artifactLocation"]["uri"] = c.location_file.empty() ? "impl/iommu_liveupdate.cpp" : c.location_file;
    physical["region"]["startLine"] = std::max(1, c.location_line);
    ordered_json loc;
    loc["physicalLocation"] = physical;
    std::string text = c.variant + " (" + c.engine + "): " + c.violation->message + " [step " +
                       std::to_string(c.violation->step) +
                       (c.violation->thread >= 0 ? ", T" + std::to_string(c.violation->thread) : "") + "]";
    results.push_back({{"ruleId", property_name(c.property)},
                       {"ruleIndex", static_cast<int>(c.property)},
                       {"level", c.variant == "reference" || !c.expected_violated ? "error" : "warning"},
                       {"message", {{"text", text}}},
                       {"locations", ordered_json::array({loc})},
                       {"properties", {{"variant", c.variant}, {"engine", c.engine},
                                       {"expected", c.expected_violated ? "violated" : "holds"}}}});
  }
  ordered_json run = {{"tool", {{"driver", {{"name", "luv"},
                                              {"version", "1"},
                                              {"rules", rules}}}}},
                      {"results", results}};
  ordered_json j;
  j["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  j["version"] = "2.1.0";
  j["runs"] = ordered_json::array({run});
  return j;
}

}  // namespace luv
