#include "counterexamples/scenario_json.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "impl/variant.h"
#include "linux/errno.h"

namespace luv {

using nlohmann::json;

namespace {

const json* member(const json& obj, const std::string& path, const char* key, bool required) {
  if (!obj.is_object()) format_error(path, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) format_error(path.empty() ? key : path + "." + key, "missing");
    return nullptr;
  }
  return &*it;
}

std::string join(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

int get_int(const json& obj, const std::string& path, const char* key, std::optional<int> fallback) {
  const json* v = member(obj, path, key, !fallback.has_value());
  if (v == nullptr) return *fallback;
  if (!v->is_number_integer()) format_error(join(path, key), "expected an integer");
  long long n = v->get<long long>();
  if (n < -1000000 || n > 1000000) format_error(join(path, key), "integer out of range");
  return static_cast<int>(n);
}

bool get_bool(const json& obj, const std::string& path, const char* key, bool fallback) {
  const json* v = member(obj, path, key, false);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) format_error(join(path, key), "expected true or false");
  return v->get<bool>();
}

std::string get_string(const json& obj, const std::string& path, const char* key, std::optional<std::string> fallback) {
  const json* v = member(obj, path, key, !fallback.has_value());
  if (v == nullptr) return *fallback;
  if (!v->is_string()) format_error(join(path, key), "expected a string");
  return v->get<std::string>();
}

const json& get_array(const json& obj, const std::string& path, const char* key) {
  const json* v = member(obj, path, key, true);
  if (!v->is_array()) format_error(join(path, key), "expected an array");
  return *v;
}

std::string at(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

template <typename Names>
std::string listed(const Names& names) {
  std::string out;
  for (const char* n : names) out += std::string(out.empty() ? "" : ", ") + n;
  return out;
}

struct op_name {
  const char* name;
  impl::u8 bit;
};
constexpr op_name kIommuOps[] = {{"preserve", IOMMU_OP_PRESERVE},
                                 {"unpreserve", IOMMU_OP_UNPRESERVE},
                                 {"preserve_device", IOMMU_OP_PRESERVE_DEVICE},
                                 {"unpreserve_device", IOMMU_OP_UNPRESERVE_DEVICE}};
constexpr op_name kDomainOps[] = {{"preserve", DOMAIN_OP_PRESERVE}, {"unpreserve", DOMAIN_OP_UNPRESERVE}};

template <size_t N>
impl::u8 ops_from_json(const json& obj, const std::string& path, const op_name (&table)[N], impl::u8 all) {
  only_fields(obj, path, {"ops"});
  const json* v = member(obj, path, "ops", false);
  if (v == nullptr) return all;
  if (!v->is_array()) format_error(join(path, "ops"), "expected an array of op names");
  impl::u8 mask = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& name = (*v)[i];
    std::string field = at(join(path, "ops"), i);
    if (!name.is_string()) format_error(field, "expected an op name");
    bool known = false;
    for (const op_name& op : table) {
      if (name.get<std::string>() == op.name) {
        mask |= op.bit;
        known = true;
      }
    }
    if (!known) {
      std::string expected;
      for (const op_name& op : table) expected += std::string(expected.empty() ? "" : ", ") + op.name;
      format_error(field, "unknown op '" + name.get<std::string>() + "' (expected one of " + expected + ")");
    }
  }
  return mask;
}

template <size_t N>
json ops_to_json(impl::u8 mask, const op_name (&table)[N]) {
  json ops = json::array();
  for (const op_name& op : table)
    if (mask & op.bit) ops.push_back(op.name);
  return ops;
}

Topology topology_from_json(const json& j) {
  const std::string path = "topology";
  only_fields(j, path, {"objects_per_page", "iommus", "domains", "devices", "sessions"});
  Topology t;
  t.objects_per_page = get_int(j, path, "objects_per_page", 2);
  const json& iommus = get_array(j, path, "iommus");
  for (size_t i = 0; i < iommus.size(); ++i)
    t.iommus.push_back(IommuSpec{ops_from_json(iommus[i], at(path + ".iommus", i), kIommuOps, IOMMU_OPS_ALL)});
  const json& domains = get_array(j, path, "domains");
  for (size_t i = 0; i < domains.size(); ++i)
    t.domains.push_back(DomainSpec{ops_from_json(domains[i], at(path + ".domains", i), kDomainOps, DOMAIN_OPS_ALL)});
  const json& devices = get_array(j, path, "devices");
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string p = at(path + ".devices", i);
    only_fields(devices[i], p, {"iommu", "pci", "dma_owner", "group"});
    DeviceSpec d;
    d.iommu = get_int(devices[i], p, "iommu", std::nullopt);
    d.pci = get_bool(devices[i], p, "pci", true);
    d.dma_owner = get_bool(devices[i], p, "dma_owner", true);
    d.group = get_int(devices[i], p, "group", -1);
    t.devices.push_back(d);
  }
  // Optional: the LUO session of each file; absent means each file in its own.
  if (const json* sessions = member(j, path, "sessions", false)) {
    if (!sessions->is_array()) format_error(path + ".sessions", "expected an array of session numbers, one per file");
    for (size_t f = 0; f < sessions->size(); ++f) {
      if (!(*sessions)[f].is_number_integer()) format_error(at(path + ".sessions", f), "expected a session number");
      long long n = (*sessions)[f].get<long long>();
      if (n < 0 || n > 1000000) format_error(at(path + ".sessions", f), "session number out of range");
      t.sessions.push_back(static_cast<int>(n));
    }
  }
  return t;
}

Call call_from_json(const json& j, const std::string& path) {
  Call c;
  std::string name = get_string(j, path, "call", std::nullopt);
  if (!call_kind_parse(name, c.kind)) format_error(path + ".call", "unknown call '" + name + "'");
  std::vector<const char*> takes = {"call"};
  if (call_takes_file(c.kind)) takes.push_back("file");
  if (call_takes_domain(c.kind)) takes.push_back("domain");
  if (call_takes_device(c.kind)) takes.push_back("device");
  if (call_takes_session(c.kind)) takes.push_back("session");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(takes.begin(), takes.end(), it.key()) == takes.end())
      format_error(join(path, it.key().c_str()), "not an argument of " + name + " (it takes " + listed(takes) + ")");
  if (call_takes_file(c.kind)) c.file = get_int(j, path, "file", std::nullopt);
  if (call_takes_domain(c.kind)) c.domain = get_int(j, path, "domain", std::nullopt);
  if (call_takes_device(c.kind)) c.device = get_int(j, path, "device", std::nullopt);
  if (call_takes_session(c.kind)) c.session = get_int(j, path, "session", std::nullopt);
  return c;
}

}  // namespace

Scenario scenario_from_json(const json& j) {
  if (!j.is_object()) format_error("(top level)", "expected a JSON object");
  int format = get_int(j, "", "format", SCENARIO_FORMAT_VERSION);
  if (format != SCENARIO_FORMAT_VERSION)
    format_error("format", "version " + std::to_string(format) + " is not supported (expected " +
                      std::to_string(SCENARIO_FORMAT_VERSION) + ")");
  Scenario s;
  s.variant = get_string(j, "", "variant", std::nullopt);
  if (std::string bad = impl::unknown_variant(s.variant); !bad.empty()) format_error("variant", bad);
  std::string mode = get_string(j, "", "mode", std::nullopt);
  if (mode == "contract") s.mode = CallerMode::contract;
  else if (mode == "adversarial") s.mode = CallerMode::adversarial;
  else format_error("mode", "unknown mode '" + mode + "' (expected contract or adversarial)");

  s.topology = topology_from_json(*member(j, "", "topology", true));

  if (const json* faults = member(j, "", "faults", false)) {
    if (!faults->is_array()) format_error("faults", "expected an array");
    for (size_t i = 0; i < faults->size(); ++i) {
      std::string p = at("faults", i);
      only_fields((*faults)[i], p, {"site", "nth", "errno"});
      Fault f;
      std::string site = get_string((*faults)[i], p, "site", std::nullopt);
      if (!impl::fault_site_parse(site, f.site)) format_error(p + ".site", "unknown fault site '" + site + "'");
      f.nth = get_int((*faults)[i], p, "nth", 1);
      std::string err = get_string((*faults)[i], p, "errno", std::string());
      if (!err.empty() && !impl::errno_parse(err, f.err)) format_error(p + ".errno", "unknown errno '" + err + "'");
      s.faults.push_back(f);
    }
  }

  const json& threads = get_array(j, "", "threads");
  for (size_t t = 0; t < threads.size(); ++t) {
    std::string p = at("threads", t);
    if (!threads[t].is_array()) format_error(p, "expected an array of calls");
    std::vector<Call> calls;
    for (size_t c = 0; c < threads[t].size(); ++c) calls.push_back(call_from_json(threads[t][c], at(p, c)));
    s.threads.push_back(std::move(calls));
  }

  if (const json* schedule = member(j, "", "schedule", false)) {
    if (!schedule->is_array()) format_error("schedule", "expected an array of thread numbers");
    for (size_t i = 0; i < schedule->size(); ++i) {
      if (!(*schedule)[i].is_number_integer()) format_error(at("schedule", i), "expected a thread number");
      long long th = (*schedule)[i].get<long long>();
      if (th < 0 || th >= static_cast<long long>(s.threads.size()))
        format_error(at("schedule", i), std::to_string(th) + " is not a thread (scenario has " +
                                   std::to_string(s.threads.size()) + ")");
      s.schedule.push_back(static_cast<int>(th));
    }
  }
  s.kexec = get_bool(j, "", "kexec", true);

  std::string invalid = validate(s);
  if (!invalid.empty()) throw FormatError{invalid};
  return s;
}

json scenario_to_json(const Scenario& s) {
  json j;
  j["format"] = SCENARIO_FORMAT_VERSION;
  j["variant"] = s.variant;
  j["mode"] = caller_mode_name(s.mode);
  json topo;
  topo["objects_per_page"] = s.topology.objects_per_page;
  topo["iommus"] = json::array();
  for (const IommuSpec& i : s.topology.iommus) topo["iommus"].push_back({{"ops", ops_to_json(i.ops, kIommuOps)}});
  topo["domains"] = json::array();
  for (const DomainSpec& d : s.topology.domains) topo["domains"].push_back({{"ops", ops_to_json(d.ops, kDomainOps)}});
  topo["devices"] = json::array();
  for (const DeviceSpec& d : s.topology.devices) {
    json dev = {{"iommu", d.iommu}};
    if (!d.pci) dev["pci"] = false;
    if (!d.dma_owner) dev["dma_owner"] = false;
    if (d.group >= 0) dev["group"] = d.group;
    topo["devices"].push_back(dev);
  }
  if (!s.topology.sessions.empty()) topo["sessions"] = s.topology.sessions;
  j["topology"] = topo;
  j["faults"] = json::array();
  for (const Fault& f : s.faults) {
    json fj = {{"site", impl::fault_site_name(f.site)}, {"nth", f.nth}};
    if (f.err) fj["errno"] = impl::errno_name(f.err);
    j["faults"].push_back(fj);
  }
  j["threads"] = json::array();
  for (const auto& thread : s.threads) {
    json calls = json::array();
    for (const Call& c : thread) {
      json cj = {{"call", call_kind_name(c.kind)}};
      if (call_takes_file(c.kind)) cj["file"] = c.file;
      if (call_takes_domain(c.kind)) cj["domain"] = c.domain;
      if (call_takes_device(c.kind)) cj["device"] = c.device;
      if (call_takes_session(c.kind)) cj["session"] = c.session;
      calls.push_back(cj);
    }
    j["threads"].push_back(calls);
  }
  j["schedule"] = s.schedule;
  j["kexec"] = s.kexec;
  return j;
}

namespace {
// Where the parser is, as a field path, and the keys of each open object:
// enough to name a key given twice ("topology.iommus[1].ops").
class duplicate_keys {
 public:
  bool operator()(int, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (event == E::key) {
      frame& f = open_.back();
      f.key = parsed.get<std::string>();
      if (!f.keys.insert(f.key).second) format_error(path(), "given twice");
      return true;
    }
    if (event == E::object_start || event == E::array_start || event == E::value) next_element();
    if (event == E::object_start || event == E::array_start) open_.push_back(frame{event == E::object_start, {}, {}, -1});
    if (event == E::object_end || event == E::array_end) open_.pop_back();
    return true;
  }

 private:
  struct frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    long index;
  };
  void next_element() {
    if (!open_.empty() && !open_.back().object) ++open_.back().index;
  }
  std::string path() const {
    std::string out;
    for (const frame& f : open_)
      out += f.object ? (out.empty() ? "" : ".") + f.key : "[" + std::to_string(f.index) + "]";
    return out;
  }
  std::vector<frame> open_;
};
}  // namespace

json parse_json_text(const std::string& text) {
  try {
    return json::parse(text, json::parser_callback_t(duplicate_keys()));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> drop the prefix
    size_t cut = what.find("] ");
    throw FormatError{"not valid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2))};
  }
}

std::string printable_line(const std::string& text, size_t max) {
  std::string out;
  for (char ch : text) {
    if (out.size() >= max) return out + "...";
    if (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f) {
      out += ch;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(ch));
      out += hex;
    }
  }
  return out;
}

FormatError::FormatError(const std::string& text) : message(printable_line(text)) {}

void format_error(const std::string& field, const std::string& what) { throw FormatError{field + ": " + what}; }

void only_fields(const json& obj, const std::string& path, std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) format_error(path, "expected an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : allowed) known |= it.key() == k;
    if (!known) format_error(path.empty() ? it.key() : path + "." + it.key(), "unknown field (expected " + listed(allowed) + ")");
  }
}

}  // namespace luv
