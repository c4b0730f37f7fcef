#include "model/model.h"

#include <algorithm>
#include <bit>

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::model {

using impl::fault_site;

std::string model_supports(const Topology& t) {
  if (t.iommus.size() > IOMMUS_MAX) return "the model supports at most " + std::to_string(IOMMUS_MAX) + " IOMMUs";
  if (t.domains.size() > DOMAINS_MAX) return "the model supports at most " + std::to_string(DOMAINS_MAX) + " domains";
  if (t.devices.size() > DEVICES_MAX) return "the model supports at most " + std::to_string(DEVICES_MAX) + " devices";
  if (t.files() > FILES_MAX) return "the model supports at most " + std::to_string(FILES_MAX) + " files";
  return "";
}

WarnFunction warn_function_of(WarnSite site) {
  switch (site) {
    case WarnSite::domain_lacks_unpreserve: return WarnFunction::iommu_domain_preserve;
    case WarnSite::iommu_lacks_unpreserve: return WarnFunction::iommu_preserve_device;
    case WarnSite::domain_not_preserved:
    case WarnSite::domain_unpreserve_op_missing:
    case WarnSite::domain_in_use: return WarnFunction::iommu_domain_unpreserve;
    case WarnSite::unpreserve_ops_missing:
    case WarnSite::device_not_preserved:
    case WarnSite::device_other_domain: return WarnFunction::iommu_unpreserve_device;
    case WarnSite::teardown_live: return WarnFunction::iommu_release_all;
  }
  return WarnFunction::other;
}

namespace {
constexpr const char* kWarnFunctionNames[WARN_FUNCTION_COUNT] = {
    "iommu_domain_preserve", "iommu_preserve_device", "iommu_domain_unpreserve",
    "iommu_unpreserve_device", "iommu_release_all", "other",
};
}  // namespace

const char* warn_function_name(WarnFunction f) { return kWarnFunctionNames[static_cast<int>(f)]; }

WarnFunction warn_function_parse(const std::string& name) {
  for (int i = 0; i + 1 < WARN_FUNCTION_COUNT; ++i)
    if (name == kWarnFunctionNames[i]) return static_cast<WarnFunction>(i);
  return WarnFunction::other;
}

std::size_t State::hash() const {
  std::uint64_t h = files * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{domains} << 32 | warned) ^
                    (std::uint64_t{teardown_pending} << 48) ^ (std::uint64_t{released} << 49) ^
                    (std::uint64_t{grown} << 17);
  for (std::int8_t d : device_domain) h = (h ^ static_cast<std::uint8_t>(d)) * 0x100000001B3ull;
  for (int i = 0; i < FILES_MAX && listed[i] >= 0; ++i)
    h = (h ^ (static_cast<std::uint8_t>(listed[i]) | static_cast<std::uint8_t>(listed_domain[i]) << 8)) *
        0x100000001B3ull;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

// ---- the abstract state ----------------------------------------------------------

Model::Model(const Topology& t) : t_(t) {}

Abstract Model::project(const State& s) const {
  Abstract a;
  a.iommus = static_cast<int>(t_.iommus.size());
  a.domains = static_cast<int>(t_.domains.size());
  a.devices = static_cast<int>(t_.devices.size());
  a.files = t_.files();
  a.files_preserved = s.files;
  a.flb_count = std::popcount(s.files);
  a.flb_object = s.flb();
  a.core_pages = s.flb();
  std::array<int, IOMMUS_MAX> devices_behind{};
  for (int v = 0; v < a.devices; ++v) {
    int d = s.device_domain[v];
    if (d < 0) continue;
    a.device[v] = static_cast<std::int8_t>(d);
    a.device_page[v] = true;
    devices_behind[t_.devices[v].iommu]++;
    a.live_device++;
  }
  for (int i = 0; i < a.iommus; ++i) {
    if (devices_behind[i] == 0) continue;
    // One HW record per IOMMU, shared and counted by its preserved devices.
    a.iommu_ref[i] = static_cast<std::int8_t>(devices_behind[i]);
    a.iommu_page[i] = true;
    a.live_hw++;
  }
  for (int d = 0; d < a.domains; ++d) {
    if (!s.domain_preserved(d)) continue;
    a.domain[d] = 1;
    a.domain_page[d] = true;
    a.live_domain++;
  }
  a.driver_pages = a.live_hw + a.live_domain + a.live_device;
  for (int w = 0; w < WARN_SITE_COUNT; ++w)
    if ((s.warned >> w) & 1u) a.warnings[static_cast<int>(warn_function_of(static_cast<WarnSite>(w)))]++;
  return a;
}

namespace {

std::string value_name(std::int8_t v, const char* present) {
  switch (v) {
    case ABSENT: return "none";
    case DANGLING: return "dangling";
    case BAD_LINK: return "bad link";
  }
  return std::string(present) + std::to_string(v);
}

template <typename T, typename F>
void diff_array(std::string& out, const char* what, int n, const T& m, const T& i, F name) {
  for (int k = 0; k < n; ++k)
    if (m[k] != i[k])
      out += std::string(out.empty() ? "" : "; ") + what + std::to_string(k) + ": model " + name(m[k]) +
             ", implementation " + name(i[k]);
}

std::string files_name(std::uint32_t files) {
  std::string out = "{";
  for (int f = 0; f < FILES_MAX; ++f)
    if ((files >> f) & 1u) out += (out.size() > 1 ? "," : "") + std::to_string(f);
  return out + "}";
}

}  // namespace

std::string abstract_diff(const Abstract& m, const Abstract& i) {
  std::string out;
  auto field = [&](const char* what, const std::string& mv, const std::string& iv) {
    if (mv != iv) out += std::string(out.empty() ? "" : "; ") + what + ": model " + mv + ", implementation " + iv;
  };
  auto num = [](auto v) { return std::to_string(v); };
  auto yes = [](bool b) { return std::string(b ? "yes" : "no"); };
  field("preserved files", files_name(m.files_preserved), files_name(i.files_preserved));
  field("FLB count", num(m.flb_count), num(i.flb_count));
  field("FLB object", yes(m.flb_object), yes(i.flb_object));
  field("core KHO pages", yes(m.core_pages), yes(i.core_pages));
  diff_array(out, "iommu", m.iommus, m.iommu_ref, i.iommu_ref,
             [](std::int8_t v) { return value_name(v, "HW record ref_count "); });
  diff_array(out, "domain", m.domains, m.domain, i.domain,
             [](std::int8_t v) { return v == 1 ? std::string("preserved") : value_name(v, ""); });
  diff_array(out, "dev", m.devices, m.device, i.device,
             [](std::int8_t v) { return value_name(v, "preserved against domain"); });
  diff_array(out, "driver page of iommu", m.iommus, m.iommu_page, i.iommu_page, yes);
  diff_array(out, "driver page of domain", m.domains, m.domain_page, i.domain_page, yes);
  diff_array(out, "driver page of dev", m.devices, m.device_page, i.device_page, yes);
  field("live HW records", num(m.live_hw), num(i.live_hw));
  field("live domain records", num(m.live_domain), num(i.live_domain));
  field("live device records", num(m.live_device), num(i.live_device));
  field("preserved driver pages", num(m.driver_pages), num(i.driver_pages));
  for (int f = 0; f < WARN_FUNCTION_COUNT; ++f)
    field((std::string("warnings in ") + warn_function_name(static_cast<WarnFunction>(f))).c_str(),
          num(m.warnings[f]), num(i.warnings[f]));
  return out;
}

std::string describe(const Abstract& a) {
  std::string out = "files " + files_name(a.files_preserved);
  for (int i = 0; i < a.iommus; ++i)
    if (a.iommu_ref[i] != ABSENT) out += ", iommu" + std::to_string(i) + " " + value_name(a.iommu_ref[i], "ref ");
  for (int d = 0; d < a.domains; ++d)
    if (a.domain[d] != ABSENT) out += ", domain" + std::to_string(d) + (a.domain[d] == 1 ? " preserved" : " dangling");
  for (int v = 0; v < a.devices; ++v)
    if (a.device[v] != ABSENT) out += ", dev" + std::to_string(v) + " " + value_name(a.device[v], "-> domain");
  int warnings = 0;
  for (int w : a.warnings) warnings += w;
  if (warnings) out += ", " + std::to_string(warnings) + " warning(s)";
  return out;
}

// ---- operations ------------------------------------------------------------------

std::string describe(const Op& op) {
  switch (op.kind) {
    case OpKind::file_check: return "file_check(file" + std::to_string(op.file) + ")";
    case OpKind::file_preserve: return "luo_preserve_file(file" + std::to_string(op.file) + ")";
    case OpKind::file_unpreserve: return "luo_unpreserve_file(file" + std::to_string(op.file) + ")";
    case OpKind::domain_preserve: return "iommu_domain_preserve(domain" + std::to_string(op.domain) + ")";
    case OpKind::domain_unpreserve: return "iommu_domain_unpreserve(domain" + std::to_string(op.domain) + ")";
    case OpKind::device_preserve:
      return "iommu_preserve_device(domain" + std::to_string(op.domain) + ", dev" + std::to_string(op.device) + ")";
    case OpKind::device_unpreserve:
      return "iommu_unpreserve_device(domain" + std::to_string(op.domain) + ", dev" + std::to_string(op.device) + ")";
    case OpKind::session_last_file:
      return "session" + std::to_string(op.session) + " teardown: reads the file it lists last";
    case OpKind::owner_release: return "iommu_device_release_dma_owner(dev" + std::to_string(op.device) + ")";
    case OpKind::group_add: return "iommu_group_add_device(group of dev" + std::to_string(op.device) + ")";
  }
  return "?";
}

namespace {

// Whether an object's op set has `op`: a question noted in the thread's op footprint.
bool iommu_has(const Topology& t, int iommu, impl::u8 op) {
  return impl::ask_iommu_ops(t, iommu, [op](impl::u8 mask) { return (mask & op) != 0; });
}
bool domain_has(const Topology& t, int domain, impl::u8 op) {
  return impl::ask_domain_ops(t, domain, [op](impl::u8 mask) { return (mask & op) != 0; });
}

void warn(State& s, WarnSite site) { s.warned |= static_cast<std::uint16_t>(1u << static_cast<int>(site)); }

bool any_preserved(const State& s) {
  if (s.domains) return true;
  return std::any_of(s.device_domain.begin(), s.device_domain.end(), [](std::int8_t d) { return d >= 0; });
}

bool iommu_preserved(const Model& m, const State& s, int iommu) {
  const Topology& t = m.topology();
  for (size_t v = 0; v < t.devices.size(); ++v)
    if (s.device_domain[v] >= 0 && t.devices[v].iommu == iommu) return true;
  return false;
}

bool site_in(fault_site site, std::initializer_list<fault_site> sites) {
  return std::find(sites.begin(), sites.end(), site) != sites.end();
}

// The op fails with the pending fault when it reaches the fault's site: the
// call's error path leaves the abstract state as it was (rule 5).
bool fault_fires(const FaultHit* fault, std::initializer_list<fault_site> reachable, const State& s,
                 std::vector<OpOutcome>& out) {
  if (fault == nullptr || !site_in(fault->site, reachable)) return false;
  out.push_back({fault->err, s, true});
  return true;
}

void refuse(std::vector<OpOutcome>& out, const State& s, std::initializer_list<int> errnos) {
  for (int err : errnos) out.push_back({err, s, false});
}

// The session's list of files: appended at a preserve through the session,
// and a file leaves it whenever LUO unpreserves the file.
int listed_count(const State& s) {
  int n = 0;
  while (n < FILES_MAX && s.listed[n] >= 0) ++n;
  return n;
}
void list_file(State& s, int f, int domain) {
  int n = listed_count(s);
  s.listed[n] = static_cast<std::int8_t>(f);
  s.listed_domain[n] = static_cast<std::int8_t>(domain);
}
void unlist_file(State& s, int f) {
  int n = listed_count(s), at = 0;
  for (int i = 0; i < n; ++i) {
    if (s.listed[i] == f) continue;
    s.listed[at] = s.listed[i];
    s.listed_domain[at++] = s.listed_domain[i];
  }
  for (; at < n; ++at) s.listed[at] = s.listed_domain[at] = -1;
}
// The entry of the file that session `session` preserved last, or -1.
int last_listed(const Topology& t, const State& s, int session) {
  for (int i = listed_count(s) - 1; i >= 0; --i)
    if (t.session_of(s.listed[i]) == session) return i;
  return -1;
}

void file_preserve(const State& s, const Op& op, const FaultHit* fault, std::vector<OpOutcome>& out) {
  int f = op.file;
  if (s.file_preserved(f)) return refuse(out, s, {-EBUSY});
  State n = s;
  n.files |= 1u << f;
  if (op.domain >= 0) list_file(n, f, op.domain);
  if (s.teardown_pending) {
    // The FLB still exists (a call holds it): this file takes it over, state and all.
    n.teardown_pending = false;
    out.push_back({0, n, false});
    return;
  }
  // The first file creates the FLB: its object and KHO pages, each of which can fail.
  if (!s.flb() &&
      fault_fires(fault, {fault_site::flb_kzalloc, fault_site::kho_flb_root, fault_site::kho_flb_array}, s, out))
    return;
  out.push_back({0, n, false});
}

State release_all(const State& s) {
  State n = s;
  n.teardown_pending = false;
  if (n.flb() || !any_preserved(n)) return n;
  // Rule 5: nothing can unpreserve this state once the FLB is gone, so the
  // teardown releases it, loudly.
  warn(n, WarnSite::teardown_live);
  n.domains = 0;
  n.device_domain.fill(-1);
  return n;
}

void file_unpreserve(const State& s, int f, bool overlapped, std::vector<OpOutcome>& out) {
  if (!s.file_preserved(f)) return refuse(out, s, {-ENOENT});
  State n = s;
  n.files &= ~(1u << f);
  unlist_file(n, f);
  out.push_back({0, release_all(n), false});
  // Rule 4: a concurrent call may hold the FLB; then it is freed (and the
  // state released) only when that call returns.
  if (overlapped && !n.flb() && any_preserved(n)) {
    n.teardown_pending = true;
    out.push_back({0, n, false});
  }
}

void domain_preserve(const Model& m, const State& s, int d, const FaultHit* fault, std::vector<OpOutcome>& out) {
  if (!domain_has(m.topology(), d, DOMAIN_OP_PRESERVE)) return refuse(out, s, {-EOPNOTSUPP});
  if (!domain_has(m.topology(), d, DOMAIN_OP_UNPRESERVE)) {  // rule 1
    State n = s;
    warn(n, WarnSite::domain_lacks_unpreserve);
    return refuse(out, n, {-EOPNOTSUPP});
  }
  if (!s.flb()) return refuse(out, s, {-ENOENT});                       // rule 4: no FLB, no object to use
  if (s.domain_preserved(d)) return refuse(out, s, {-EBUSY, -EEXIST});  // rule 3: repeated
  if (fault_fires(fault, {fault_site::kho_array_page, fault_site::op_domain_preserve, fault_site::kho_driver_page}, s,
                  out))
    return;
  State n = s;
  n.domains |= static_cast<std::uint16_t>(1u << d);
  out.push_back({0, n, false});
}

void domain_unpreserve(const Model& m, const State& s, int d, std::vector<OpOutcome>& out) {
  State n = s;
  if (!domain_has(m.topology(), d, DOMAIN_OP_UNPRESERVE)) {
    warn(n, WarnSite::domain_unpreserve_op_missing);  // rule 1 at the other end: nothing to call
  } else if (!s.flb()) {
    // Nothing can be preserved without the FLB; the call has nothing to act on.
  } else if (!s.domain_preserved(d)) {
    warn(n, WarnSite::domain_not_preserved);  // rule 3: missing preserve
  } else if (std::find(s.device_domain.begin(), s.device_domain.end(), d) != s.device_domain.end()) {
    warn(n, WarnSite::domain_in_use);  // rule 3: its devices would be left dangling
  } else {
    n.domains &= static_cast<std::uint16_t>(~(1u << d));
  }
  out.push_back({0, n, false});
}

// The device's IOMMU group has it alone: none other in the topology, none joined since.
bool group_singleton(const Topology& t, const State& s, int v) {
  return t.group_is_singleton(v) && !s.group_grown(t.group_of(v));
}

bool group_preserved(const Topology& t, const State& s, int v) {
  for (int u = 0; u < static_cast<int>(t.devices.size()); ++u)
    if (t.group_of(u) == t.group_of(v) && s.device_domain[u] >= 0) return true;
  return false;
}

// The device's IOMMU group is owned: one of its devices still holds its claim.
bool group_owned(const Topology& t, const State& s, int v) {
  for (int u = 0; u < static_cast<int>(t.devices.size()); ++u)
    if (t.group_of(u) == t.group_of(v) && t.devices[u].dma_owner && !s.released_claim(u)) return true;
  return false;
}

void device_preserve(const Model& m, const State& s, int d, int v, const FaultHit* fault,
                     std::vector<OpOutcome>& out) {
  const Topology& t = m.topology();
  const DeviceSpec& dev = t.devices[v];
  if (!dev.pci) return refuse(out, s, {-EOPNOTSUPP});
  if (impl::iommu_lacks_unpreserve_twin(t, dev.iommu)) {  // rule 1, before anything else about the call
    State n = s;
    warn(n, WarnSite::iommu_lacks_unpreserve);
    return refuse(out, n, {-EOPNOTSUPP});
  }
  // Every other refusal; when several apply, any of their errnos is a clear
  // answer (the reference may check them in any order, some before the lock).
  size_t before = out.size();
  if (!s.domain_preserved(d)) refuse(out, s, {-EINVAL});
  if (!group_owned(t, s, v)) refuse(out, s, {-EINVAL});
  if (!iommu_has(t, dev.iommu, IOMMU_OP_PRESERVE) || !iommu_has(t, dev.iommu, IOMMU_OP_PRESERVE_DEVICE))
    refuse(out, s, {-EOPNOTSUPP});
  if (!s.flb()) refuse(out, s, {-ENOENT});
  if (s.device_domain[v] >= 0) refuse(out, s, {-EBUSY, -EEXIST});  // rule 3: repeated
  if (out.size() != before) return;

  if (iommu_preserved(m, s, dev.iommu)) {
    if (fault_fires(fault, {fault_site::kho_array_page, fault_site::op_preserve_device, fault_site::kho_driver_page},
                    s, out))
      return;
  } else if (fault_fires(fault,
                         {fault_site::kho_array_page, fault_site::op_iommu_preserve, fault_site::op_preserve_device,
                          fault_site::kho_driver_page},
                         s, out)) {
    return;
  }
  // A device whose IOMMU group has other devices cannot be preserved on its
  // own (they share its DMA context). The reference checks the group last,
  // once the records are made and the driver's op has succeeded, and undoes
  // all of it: no HW, device or driver record stays live, so the abstract
  // state is as before the call (only a KHO array page it added stays, with
  // the arrays). Every refusal above, and a fault on the way, come first.
  if (!group_singleton(t, s, v)) return refuse(out, s, {-EOPNOTSUPP});
  State n = s;
  n.device_domain[v] = static_cast<std::int8_t>(d);
  out.push_back({0, n, false});
}

void device_unpreserve(const Model& m, const State& s, int d, int v, std::vector<OpOutcome>& out) {
  const Topology& t = m.topology();
  const DeviceSpec& dev = t.devices[v];
  State n = s;
  // Rule 6: whoever owns the group now, the unpreserve goes on (the
  // preserve was made under a claim).
  if (!dev.pci) {
    // Such a device can never be preserved: the call returns at once (the seed's check).
  } else if (!iommu_has(t, dev.iommu, IOMMU_OP_UNPRESERVE) || !iommu_has(t, dev.iommu, IOMMU_OP_UNPRESERVE_DEVICE)) {
    warn(n, WarnSite::unpreserve_ops_missing);  // the review's WARN_ON_ONCE
  } else if (!s.flb()) {
    // Nothing is preserved without the FLB.
  } else if (s.device_domain[v] < 0) {
    warn(n, WarnSite::device_not_preserved);  // rule 3: missing preserve
  } else if (s.device_domain[v] != d) {
    warn(n, WarnSite::device_other_domain);  // rule 3: out of order
  } else {
    n.device_domain[v] = -1;
  }
  out.push_back({0, n, false});
}

// Device v's claim given back (a no-op for a device that never held one).
void owner_release(const Model& m, const State& s, int v, std::vector<OpOutcome>& out) {
  State n = s;
  if (m.topology().devices[v].dma_owner) n.released |= static_cast<std::uint16_t>(1u << v);
  out.push_back({0, n, false});
}

// Rule 6: a new device joins v's group unless a device of it is preserved.
void group_add(const Model& m, const State& s, int v, std::vector<OpOutcome>& out) {
  const Topology& t = m.topology();
  if (group_preserved(t, s, v)) return refuse(out, s, {-EBUSY});
  State n = s;
  n.grown |= static_cast<std::uint16_t>(1u << t.group_of(v));
  out.push_back({0, n, false});
}

// A session's teardown reads the file the session preserved last, and the
// domain its handler preserved against; the handler and LUO then act on
// that file whatever happens to the list meanwhile.
void session_last_file(const Model& m, const State& s, int session, std::vector<OpOutcome>& out) {
  int i = last_listed(m.topology(), s, session);
  out.push_back({i < 0 ? SESSION_EMPTY : session_entry(s.listed[i], s.listed_domain[i]), s, false});
}

}  // namespace

State teardown(const State& s) { return s.teardown_pending && !s.flb() ? release_all(s) : s; }

void apply(const Model& m, const State& s, const Op& op, const FaultHit* fault, std::vector<OpOutcome>& out,
           bool overlapped) {
  switch (op.kind) {
    case OpKind::file_check:
      out.push_back({s.file_preserved(op.file) ? 0 : -ENOENT, s, false});
      return;
    case OpKind::file_preserve: return file_preserve(s, op, fault, out);
    case OpKind::file_unpreserve: return file_unpreserve(s, op.file, overlapped, out);
    case OpKind::domain_preserve: return domain_preserve(m, s, op.domain, fault, out);
    case OpKind::domain_unpreserve: return domain_unpreserve(m, s, op.domain, out);
    case OpKind::device_preserve: return device_preserve(m, s, op.domain, op.device, fault, out);
    case OpKind::device_unpreserve: return device_unpreserve(m, s, op.domain, op.device, out);
    case OpKind::session_last_file: return session_last_file(m, s, op.session, out);
    case OpKind::owner_release: return owner_release(m, s, op.device, out);
    case OpKind::group_add: return group_add(m, s, op.device, out);
  }
}

// ---- callers -----------------------------------------------------------------------

namespace {
Op file_op(OpKind kind, int file) { return Op{kind, file, -1, -1}; }
Op object_op(OpKind kind, const Call& c) { return Op{kind, -1, c.domain, c.device}; }

// The file a contract caller works through.
int caller_file(const Topology& t, const Call& c) {
  return c.kind == CallKind::iommufd_preserve || c.kind == CallKind::iommufd_unpreserve ? t.iommufd_file(c.domain)
                                                                                        : t.vfio_file(c.device);
}
}  // namespace

std::optional<Op> call_next_op(const Topology& t, const Call& c, const Progress& p) {
  switch (c.kind) {
    case CallKind::luo_preserve_file:
      return p.pc == 0 ? std::optional(file_op(OpKind::file_preserve, c.file)) : std::nullopt;
    case CallKind::luo_unpreserve_file:
      return p.pc == 0 ? std::optional(file_op(OpKind::file_unpreserve, c.file)) : std::nullopt;
    case CallKind::iommu_domain_preserve:
      return p.pc == 0 ? std::optional(object_op(OpKind::domain_preserve, c)) : std::nullopt;
    case CallKind::iommu_domain_unpreserve:
      return p.pc == 0 ? std::optional(object_op(OpKind::domain_unpreserve, c)) : std::nullopt;
    case CallKind::iommu_preserve_device:
      return p.pc == 0 ? std::optional(object_op(OpKind::device_preserve, c)) : std::nullopt;
    case CallKind::iommu_unpreserve_device:
      return p.pc == 0 ? std::optional(object_op(OpKind::device_unpreserve, c)) : std::nullopt;
    case CallKind::iommu_device_release_dma_owner:
      return p.pc == 0 ? std::optional(object_op(OpKind::owner_release, c)) : std::nullopt;
    case CallKind::iommu_group_add_device:
      return p.pc == 0 ? std::optional(object_op(OpKind::group_add, c)) : std::nullopt;
    case CallKind::iommufd_preserve:
    case CallKind::vfio_preserve: {
      // Preserve the file, then the object inside it; undo the file if that fails.
      OpKind object = c.kind == CallKind::iommufd_preserve ? OpKind::domain_preserve : OpKind::device_preserve;
      if (p.pc == 0) return Op{OpKind::file_preserve, caller_file(t, c), c.domain, c.device};  // through the session
      if (p.pc == 1) return object_op(object, c);
      if (p.pc == 2) return file_op(OpKind::file_unpreserve, caller_file(t, c));
      return std::nullopt;
    }
    case CallKind::iommufd_unpreserve:
    case CallKind::vfio_unpreserve: {
      // The owner checks its own file, unpreserves the object, then the file.
      OpKind object = c.kind == CallKind::iommufd_unpreserve ? OpKind::domain_unpreserve : OpKind::device_unpreserve;
      if (p.pc == 0) return file_op(OpKind::file_check, caller_file(t, c));
      if (p.pc == 1) return object_op(object, c);
      if (p.pc == 2) return file_op(OpKind::file_unpreserve, caller_file(t, c));
      return std::nullopt;
    }
    case CallKind::luo_session_release: {
      // Under the session mutex, file by file, last preserved first: read
      // the last file listed (pc 0 for the first, 4 for each next one),
      // then its handler's unpreserve (pc 1), then LUO's (pc 2), until the
      // session lists none. The file is the one read, in p.saved.
      if (p.pc == 0 || p.pc == 4) return Op{OpKind::session_last_file, -1, -1, -1, c.session};
      int f = session_entry_file(p.saved);
      if (p.pc == 1) {
        // The handler: iommufd unpreserves its domain, VFIO its device
        // against the domain it was preserved with.
        int dev = t.file_device(f);
        if (dev < 0) return Op{OpKind::domain_unpreserve, -1, t.file_domain(f), -1};
        return Op{OpKind::device_unpreserve, -1, session_entry_domain(p.saved), dev};
      }
      if (p.pc == 2) return file_op(OpKind::file_unpreserve, f);  // -ENOENT if it was dropped meanwhile
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool call_advance(const Call& c, Progress& p, int ret, int* call_ret) {
  auto finish = [&](int r) {
    p.pc = 3;
    *call_ret = r;
    return true;
  };
  switch (c.kind) {
    case CallKind::iommu_domain_unpreserve:
    case CallKind::iommu_unpreserve_device:
    case CallKind::iommu_device_release_dma_owner: return finish(0);  // void in the kernel
    case CallKind::luo_preserve_file:
    case CallKind::luo_unpreserve_file:
    case CallKind::iommu_domain_preserve:
    case CallKind::iommu_preserve_device:
    case CallKind::iommu_group_add_device: return finish(ret);
    case CallKind::iommufd_preserve:
    case CallKind::vfio_preserve:
      if (p.pc == 0) {
        if (ret) return finish(ret);
        p.pc = 1;
        return false;
      }
      if (p.pc == 1) {
        if (ret == 0) return finish(0);
        p.saved = static_cast<std::int16_t>(ret);
        p.pc = 2;
        return false;
      }
      return finish(p.saved);  // the undo's own result is not reported
    case CallKind::iommufd_unpreserve:
    case CallKind::vfio_unpreserve:
      if (p.pc == 0) {
        if (ret) return finish(ret);
        p.pc = 1;
        return false;
      }
      if (p.pc == 1) {
        p.pc = 2;
        return false;
      }
      return finish(ret);
    case CallKind::luo_session_release:
      if (p.pc == 0 || p.pc == 4) {
        if (ret == SESSION_EMPTY) return finish(0);
        p.saved = static_cast<std::int16_t>(ret);
        p.pc = 1;
        return false;
      }
      if (p.pc == 1) {
        p.pc = 2;
        return false;
      }
      p = Progress{4, 0};  // the next file (LUO's result is not reported)
      return false;
  }
  return finish(ret);
}

int call_session_mutex(const Topology& t, const Call& c) {
  switch (c.kind) {
    case CallKind::iommufd_preserve:
    case CallKind::iommufd_unpreserve:
    case CallKind::vfio_preserve:
    case CallKind::vfio_unpreserve: return t.session_of(caller_file(t, c));
    case CallKind::luo_session_release: return c.session;
    default: return -1;
  }
}

std::vector<CallOutcome> run_call(const Model& m, const State& s, const Call& call, const FaultHit* fault) {
  struct pending {
    State state;
    Progress progress;
    bool fault_used;
  };
  std::vector<CallOutcome> results;
  std::vector<pending> work{{s, Progress{}, fault == nullptr}};
  std::vector<OpOutcome> outs;
  while (!work.empty()) {
    pending cur = work.back();
    work.pop_back();
    std::optional<Op> op = call_next_op(m.topology(), call, cur.progress);
    if (!op) continue;
    outs.clear();
    apply(m, cur.state, *op, cur.fault_used ? nullptr : fault, outs);
    for (const OpOutcome& o : outs) {
      pending next{o.next, cur.progress, cur.fault_used || o.fault_used};
      int ret = 0;
      if (call_advance(call, next.progress, o.ret, &ret)) {
        if (!next.fault_used) continue;  // the fault fired in this call, so the model must place it
        CallOutcome r{ret, next.state};
        auto same = [&](const CallOutcome& x) { return x.ret == r.ret && x.next == r.next; };
        if (std::none_of(results.begin(), results.end(), same)) results.push_back(r);
      } else {
        work.push_back(next);
      }
    }
  }
  return results;
}

Restore restore(const Model& m, const State& s, bool retrieve_fails) {
  Restore r;
  if (retrieve_fails || !s.flb()) return r;
  const Topology& t = m.topology();
  for (int i = 0; i < static_cast<int>(t.iommus.size()); ++i)
    if (iommu_preserved(m, s, i)) r.iommus.push_back(i);
  for (int d = 0; d < static_cast<int>(t.domains.size()); ++d)
    if (s.domain_preserved(d)) r.domains.push_back(d);
  for (int v = 0; v < static_cast<int>(t.devices.size()); ++v)
    if (s.device_domain[v] >= 0) r.devices.push_back({v, s.device_domain[v], t.devices[v].iommu});
  return r;
}

}  // namespace luv::model
