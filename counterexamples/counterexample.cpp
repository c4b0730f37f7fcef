#include "counterexamples/counterexample.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "counterexamples/output_file.h"
#include "linux/errno.h"

namespace luv {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

int int_field(const json& obj, const std::string& path, const char* key, int min, int max) {
  auto it = obj.find(key);
  std::string field = path + "." + key;
  if (it == obj.end()) format_error(field, "missing");
  if (!it->is_number_integer()) format_error(field, "expected an integer");
  long long n = it->get<long long>();
  if (n < min || n > max) format_error(field, std::to_string(n) + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  return static_cast<int>(n);
}

// One result per call of each thread: an errno name, "0" or "void".
std::vector<std::vector<std::string>> returns_from_json(const json& j, const Scenario& s, const std::string& path) {
  if (!j.is_array() || j.size() != s.threads.size()) format_error(path, "expected one array of results per thread");
  std::vector<std::vector<std::string>> out;
  for (size_t t = 0; t < j.size(); ++t) {
    std::string at = path + "[" + std::to_string(t) + "]";
    if (!j[t].is_array() || j[t].size() > s.threads[t].size()) format_error(at, "expected at most one result per call");
    out.emplace_back();
    for (size_t i = 0; i < j[t].size(); ++i) {
      int err = 0;
      std::string text = j[t][i].is_string() ? j[t][i].get<std::string>() : "";
      if (text != "void" && text != "0" && !impl::errno_parse(text, err))
        format_error(at + "[" + std::to_string(i) + "]", "expected \"void\", \"0\" or an errno name such as \"-EBUSY\"");
      out.back().push_back(text);
    }
  }
  return out;
}

ExpectedVerdict expected_from_json(const json& j, const Scenario& s) {
  const std::string path = "expected";
  only_fields(j, path, {"verdict", "property", "step", "thread", "call", "message", "steps", "returns"});
  auto verdict = j.find("verdict");
  if (verdict == j.end()) format_error(path + ".verdict", "missing");
  if (!verdict->is_string()) format_error(path + ".verdict", "expected \"ok\" or \"violation\"");
  ExpectedVerdict e;
  if (j.contains("steps")) e.steps = int_field(j, path, "steps", 0, 1000000);
  if (auto r = j.find("returns"); r != j.end()) e.returns = returns_from_json(*r, s, path + ".returns");
  std::string v = verdict->get<std::string>();
  if (v == "ok") {
    if (j.size() != 1 + j.count("steps") + j.count("returns"))
      format_error(path, "an ok verdict has no other field than steps and returns");
    return e;
  }
  if (v != "violation") format_error(path + ".verdict", "unknown verdict '" + v + "' (expected ok or violation)");
  e.ok = false;
  auto prop = j.find("property");
  if (prop == j.end()) format_error(path + ".property", "missing");
  if (!prop->is_string()) format_error(path + ".property", "expected a property id");
  if (!property_parse(prop->get<std::string>(), e.property))
    format_error(path + ".property", "unknown property '" + prop->get<std::string>() + "'");
  e.step = int_field(j, path, "step", 0, 1000000);
  int threads = static_cast<int>(s.threads.size());
  e.thread = int_field(j, path, "thread", -1, threads - 1);
  int calls = e.thread >= 0 ? static_cast<int>(s.threads[e.thread].size()) : 0;
  e.call = int_field(j, path, "call", -1, calls - 1);
  if (auto m = j.find("message"); m != j.end()) {
    if (!m->is_string()) format_error(path + ".message", "expected a string");
    e.message = m->get<std::string>();
  }
  return e;
}

std::string one_line_string(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) format_error(key, "missing (one line: the state, the steps, what went wrong)");
    return "";
  }
  if (!it->is_string()) format_error(key, "expected a string");
  std::string s = it->get<std::string>();
  if (required && s.empty()) format_error(key, "empty");
  if (s.find('\n') != std::string::npos) format_error(key, "must be one line");
  return s;
}

}  // namespace

ExpectedVerdict expected_from(const Verdict& v) {
  ExpectedVerdict e;
  if (v.ok()) return e;
  e.ok = false;
  e.property = v.violation->property;
  e.step = v.violation->step;
  e.thread = v.violation->thread;
  e.call = v.violation->call;
  e.message = v.violation->message;
  return e;
}

Counterexample finding_counterexample(const Scenario& s, const PropertySet& checked, const std::string& found_by,
                                      const std::string& story, const std::string& found) {
  RunOptions replay;
  replay.properties = checked;
  Verdict replayed = run(s, replay).verdict;
  Counterexample c;
  c.scenario = s;
  c.checked = checked;
  c.found_by = found_by;
  c.description = story + ": " + (replayed.violation ? replayed.violation->message : found);
  for (char& ch : c.description)
    if (ch == '\n') ch = ' ';
  c.expected = expected_from(replayed);
  return c;
}

std::string describe_expected(const ExpectedVerdict& e) {
  if (e.ok) return "ok";
  std::string out = std::string(property_name(e.property)) + " at step " + std::to_string(e.step);
  if (e.thread >= 0) out += ", T" + std::to_string(e.thread);
  if (e.call >= 0) out += " call " + std::to_string(e.call);
  if (e.message) out += ": " + *e.message;
  return out;
}

std::string verdict_mismatch(const ExpectedVerdict& expected, const Verdict& actual) {
  ExpectedVerdict got = expected_from(actual);
  if (!expected.message) got.message.reset();
  got.steps = expected.steps;  // the path is path_mismatch's
  got.returns = expected.returns;
  if (got == expected) return "";
  if (expected.ok != got.ok || expected.property != got.property)
    return "expected " + describe_expected(expected) + "; replayed " + describe_expected(expected_from(actual));
  std::string what;
  auto field = [&](const char* name, int want, int have) {
    if (want != have) what += std::string(what.empty() ? "" : ", ") + name + " " + std::to_string(want) + " -> " + std::to_string(have);
  };
  field("step", expected.step, got.step);
  field("thread", expected.thread, got.thread);
  field("call", expected.call, got.call);
  if (expected.message != got.message)
    what += std::string(what.empty() ? "" : ", ") + "message '" + expected.message.value_or("") + "' -> '" +
            got.message.value_or("") + "'";
  return std::string(property_name(expected.property)) + " replayed with a different " + what;
}

std::string path_mismatch(const ExpectedVerdict& expected, const RunResult& actual) {
  if (expected.steps && *expected.steps != actual.steps)
    return "the run took " + std::to_string(actual.steps) + " steps, not " + std::to_string(*expected.steps);
  for (const CallRecord& r : actual.calls) {
    if (r.thread >= static_cast<int>(expected.returns.size()) ||
        r.index >= static_cast<int>(expected.returns[r.thread].size()))
      continue;
    std::string got = r.returned_void ? "void" : impl::errno_name(r.ret);
    const std::string& want = expected.returns[r.thread][r.index];
    if (got != want) return "T" + std::to_string(r.thread) + " call " + std::to_string(r.index) + " returned " + got + ", not " + want;
  }
  return "";
}

ExpectedVerdict with_path(ExpectedVerdict e, const RunResult& r) {
  e.steps = r.steps;
  e.returns.clear();
  for (const CallRecord& c : r.calls) {
    if (static_cast<int>(e.returns.size()) <= c.thread) e.returns.resize(static_cast<size_t>(c.thread) + 1);
    std::vector<std::string>& mine = e.returns[static_cast<size_t>(c.thread)];
    if (static_cast<int>(mine.size()) <= c.index) mine.resize(static_cast<size_t>(c.index) + 1);
    mine[static_cast<size_t>(c.index)] = c.returned_void ? "void" : impl::errno_name(c.ret);
  }
  return e;
}

namespace {

PropertySet checked_from_json(const json& j) {
  PropertySet checked = all_properties();
  auto it = j.find("checked");
  if (it == j.end()) return checked;
  if (!it->is_array()) format_error("checked", "expected an array of property ids");
  checked.reset();
  for (size_t i = 0; i < it->size(); ++i) {
    std::string field = "checked[" + std::to_string(i) + "]";
    PropertyId p;
    if (!(*it)[i].is_string()) format_error(field, "expected a property id");
    if (!property_parse((*it)[i].get<std::string>(), p))
      format_error(field, "unknown property '" + (*it)[i].get<std::string>() + "'");
    checked.set(static_cast<size_t>(p));
  }
  return checked;
}

// A counterexample, or (with !require_expected) a plain Scenario that may
// carry a description and the properties to judge it with; either way a
// top-level key outside the format is an error, so `shedule` is caught.
Counterexample file_from_json(const json& j, bool require_expected) {
  if (!j.is_object()) format_error("(top level)", "expected a JSON object");
  only_fields(j, "", {"format", "description", "found_by", "variant", "mode", "topology", "faults", "threads",
                      "schedule", "kexec", "expected", "checked"});
  bool has_expected = j.contains("expected");
  if (require_expected || has_expected) {
    if (!j.contains("format")) format_error("format", "missing (this is format " + std::to_string(SCENARIO_FORMAT_VERSION) + ")");
  }
  Counterexample c;
  c.scenario = scenario_from_json(j);
  c.description = one_line_string(j, "description", require_expected || has_expected);
  c.found_by = one_line_string(j, "found_by", false);
  c.checked = checked_from_json(j);
  if (!has_expected) {
    if (require_expected) format_error("expected", "missing (a counterexample says what replaying it must give)");
    return c;
  }
  c.expected = expected_from_json(j["expected"], c.scenario);
  if (!c.expected.ok && !has(c.checked, c.expected.property))
    format_error("expected.property", std::string(property_name(c.expected.property)) + " is not in checked");
  return c;
}

}  // namespace

Counterexample counterexample_from_json(const json& j) { return file_from_json(j, true); }

ordered_json counterexample_to_json(const Counterexample& c) {
  json body = scenario_to_json(c.scenario);
  ordered_json j;
  j["format"] = body["format"];
  j["description"] = c.description;
  if (!c.found_by.empty()) j["found_by"] = c.found_by;
  for (const char* key : {"variant", "mode", "topology", "faults", "threads", "schedule", "kexec"}) {
    if (std::string(key) != "topology") {
      j[key] = ordered_json::parse(body[key].dump());
      continue;
    }
    // The order a reader builds the picture in: page size, IOMMUs, domains, devices.
    for (const char* part : {"objects_per_page", "iommus", "domains", "devices", "sessions"})
      if (body[key].contains(part)) j[key][part] = ordered_json::parse(body[key][part].dump());
  }
  if (c.checked != all_properties()) {
    j["checked"] = ordered_json::array();
    for (int p = 0; p < PROPERTY_COUNT; ++p)
      if (c.checked.test(p)) j["checked"].push_back(property_name(static_cast<PropertyId>(p)));
  }
  ordered_json e;
  if (c.expected.ok) {
    e["verdict"] = "ok";
  } else {
    e["verdict"] = "violation";
    e["property"] = property_name(c.expected.property);
    e["step"] = c.expected.step;
    e["thread"] = c.expected.thread;
    e["call"] = c.expected.call;
    if (c.expected.message) e["message"] = *c.expected.message;
  }
  if (c.expected.steps) e["steps"] = *c.expected.steps;
  if (!c.expected.returns.empty()) e["returns"] = c.expected.returns;
  j["expected"] = e;
  return j;
}

std::string counterexample_to_text(const Counterexample& c) {
  ordered_json j = counterexample_to_json(c);
  std::string out = "{\n";
  size_t i = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++i) {
    out += "  " + json(it.key()).dump() + ": ";
    if (it.key() == "threads" && !it->empty()) {
      out += "[\n";
      for (size_t t = 0; t < it->size(); ++t) out += "    " + (*it)[t].dump() + (t + 1 < it->size() ? ",\n" : "\n");
      out += "  ]";
    } else if (it.key() == "expected" && it->size() > 1) {
      out += "{\n";
      size_t k = 0;
      for (auto e = it->begin(); e != it->end(); ++e, ++k)
        out += "    " + json(e.key()).dump() + ": " + e->dump() + (k + 1 < it->size() ? ",\n" : "\n");
      out += "  }";
    } else {
      out += it->dump();
    }
    out += i + 1 < j.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

std::string read_text_file(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw FormatError{path + ": cannot open"};
  std::string text;
  char chunk[1 << 16];
  size_t n = 0;
  // Read at most one byte past the limit, so /dev/zero or a FIFO that never
  // ends is refused rather than read without end.
  while (text.size() <= SCENARIO_FILE_BYTES_MAX && (n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
  bool failed = std::ferror(f) != 0;
  if (f != stdin) std::fclose(f);
  if (failed) throw FormatError{path + ": cannot read"};
  if (text.size() > SCENARIO_FILE_BYTES_MAX)
    throw FormatError{path + ": larger than the limit of " + std::to_string(SCENARIO_FILE_BYTES_MAX) + " bytes"};
  return text;
}

Counterexample read_counterexample_text(const std::string& text, const std::string& name) {
  try {
    return counterexample_from_json(parse_json_text(text));
  } catch (const FormatError& e) {
    throw FormatError{name + ": " + e.message};
  }
}

Counterexample read_counterexample_file(const std::string& path) {
  return read_counterexample_text(read_text_file(path), path);
}

Counterexample read_scenario_file(const std::string& path) {
  std::string text = read_text_file(path);
  std::string name = path == "-" ? "<stdin>" : path;
  try {
    return file_from_json(parse_json_text(text), false);
  } catch (const FormatError& e) {
    throw FormatError{name + ": " + e.message};
  }
}

bool write_counterexample_file(const std::string& path, const Counterexample& c) {
  return write_whole_file(path, counterexample_to_text(c));
}

}  // namespace luv
