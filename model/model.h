// The abstract model of docs/SPEC.md: what the `reference` lifecycle must do,
// written from docs/SPEC.md's rules, not from impl/.
//
// A model State is a plain value: which LUO files are preserved, which
// domains are preserved, which domain each device is preserved against, and
// which WARN_ON_ONCE sites have fired. Everything else docs/SPEC.md talks about
// (the FLB and its file count, IOMMU HW records and their ref_count,
// driver-private pages, live records) follows from those and is computed by
// project() into an Abstract value, the thing compared with the
// implementation's abstraction (abstraction.h).
//
// The unit of the model is the atomic operation (Op): one LUO file call or
// one IOMMU-core entry point, each of which the reference performs under one
// lock. The callers of scenario.h (iommufd_*, vfio_*) are short programs of
// such operations (call_program), because iommufd and VFIO really make two
// or three separate calls; linearizability is judged at that grain. A LUO
// session's teardown (luo_session_release) is a loop of three operations
// per file it holds, last preserved first: it reads the file its session
// lists last, then that file's handler unpreserves the file's object, then
// LUO unpreserves that file. Each is its own point: a file dropped from the
// list between the read and the handler (adversarial luo_unpreserve_file
// takes no session mutex) is still torn down by its handler, and LUO's
// unpreserve of it is then a no-op (-ENOENT), as in the kernel. The calls
// that hold a session's mutex (the contract callers, and the teardown)
// never interleave with each other on that session: call_session_mutex()
// names it, and the linearizability search keeps them apart.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/scenario.h"

namespace luv::model {

// Bounds of the fixed-size state (the generators stay well inside them).
inline constexpr int IOMMUS_MAX = 16;
inline constexpr int DOMAINS_MAX = 16;
inline constexpr int DEVICES_MAX = 16;
inline constexpr int FILES_MAX = 32;
// Empty when the model can represent the topology, else why not.
std::string model_supports(const Topology& t);

// The WARN_ON_ONCE sites the reference has (rule 1 and rule 3 refusals, the
// review's warning, and rule 5's teardown of state nobody unpreserved).
enum class WarnSite : std::uint8_t {
  domain_lacks_unpreserve,   // iommu_domain_preserve, rule 1
  iommu_lacks_unpreserve,    // iommu_preserve_device, rule 1
  domain_not_preserved,      // iommu_domain_unpreserve, rule 3
  domain_in_use,             // iommu_domain_unpreserve, rule 3: devices still preserved against it
  unpreserve_ops_missing,    // iommu_unpreserve_device, the review's WARN_ON_ONCE
  device_not_preserved,      // iommu_unpreserve_device, rule 3
  device_other_domain,       // iommu_unpreserve_device, rule 3: preserved against another domain
  teardown_live,             // the FLB's last file went while state was preserved (rule 5)
  domain_unpreserve_op_missing,  // iommu_domain_unpreserve, rule 1 at the other end: no op to call
};
inline constexpr int WARN_SITE_COUNT = 9;

// The kernel function each warning is reported from; what the abstraction
// can see of a warning in the implementation.
enum class WarnFunction : std::uint8_t {
  iommu_domain_preserve,
  iommu_preserve_device,
  iommu_domain_unpreserve,
  iommu_unpreserve_device,
  iommu_release_all,
  other,
};
inline constexpr int WARN_FUNCTION_COUNT = 6;
WarnFunction warn_function_of(WarnSite site);
const char* warn_function_name(WarnFunction f);
WarnFunction warn_function_parse(const std::string& name);  // `other` when unknown

struct State {
  std::uint32_t files = 0;    // bit f: LUO file f preserved
  std::uint16_t domains = 0;  // bit d: domain d preserved
  std::array<std::int8_t, DEVICES_MAX> device_domain{};  // domain the device is preserved against, -1 none
  std::uint16_t warned = 0;   // bit s: WarnSite s has fired (WARN_ON_ONCE: once per boot)
  std::uint16_t released = 0;  // bit v: device v's claim on its group's DMA ownership given back
  std::uint16_t grown = 0;     // bit v: a new device joined the group device v heads
  // The last file went while state was preserved and a concurrent call still
  // holds the FLB (rule 4): the teardown waits for that call (teardown()),
  // and a file preserved before then takes the FLB over with its state.
  bool teardown_pending = false;
  // The files preserved through their LUO session, in the order they were
  // preserved, with the domain each one's handler preserved against (-1
  // pads): what a session's teardown walks, last first (docs/LUO.md).
  std::array<std::int8_t, FILES_MAX> listed{};
  std::array<std::int8_t, FILES_MAX> listed_domain{};

  State() {
    device_domain.fill(-1);
    listed.fill(-1);
    listed_domain.fill(-1);
  }
  bool operator==(const State&) const = default;
  bool flb() const { return files != 0; }  // the FLB exists while a file depending on it is preserved
  bool domain_preserved(int d) const { return (domains >> d) & 1u; }
  bool file_preserved(int f) const { return (files >> f) & 1u; }
  bool released_claim(int v) const { return (released >> v) & 1u; }
  bool group_grown(int head) const { return (grown >> head) & 1u; }
  std::size_t hash() const;
};

// The observable abstract state: what docs/SPEC.md's properties talk about. The
// implementation's abstraction produces the same type; refinement demands
// equality. Special values name what only a broken implementation reaches.
inline constexpr std::int8_t ABSENT = -1;     // no state / not preserved
inline constexpr std::int8_t DANGLING = -2;   // points at a deleted or freed record
inline constexpr std::int8_t BAD_LINK = -3;   // device record names the wrong domain/HW record
struct Abstract {
  int iommus = 0, domains = 0, devices = 0, files = 0;  // sizes, from the topology
  std::uint32_t files_preserved = 0;
  int flb_count = 0;        // LUO's count of preserved files depending on the FLB
  bool flb_object = false;  // the FLB object is allocated
  bool core_pages = false;  // any preserved KHO page of the core (root, arrays)
  std::array<std::int8_t, IOMMUS_MAX> iommu_ref{};   // HW record ref_count, ABSENT or DANGLING
  std::array<std::int8_t, DOMAINS_MAX> domain{};     // 1 preserved, ABSENT, DANGLING
  std::array<std::int8_t, DEVICES_MAX> device{};     // domain index, ABSENT, DANGLING, BAD_LINK
  std::array<bool, IOMMUS_MAX> iommu_page{};         // driver-private pages held
  std::array<bool, DOMAINS_MAX> domain_page{};
  std::array<bool, DEVICES_MAX> device_page{};
  int live_hw = 0, live_domain = 0, live_device = 0;  // live (not deleted) records
  int driver_pages = 0;                               // preserved driver-private KHO pages
  std::array<int, WARN_FUNCTION_COUNT> warnings{};    // warnings, by reporting function

  Abstract() {
    iommu_ref.fill(ABSENT);
    domain.fill(ABSENT);
    device.fill(ABSENT);
  }
  bool operator==(const Abstract&) const = default;
};

// "field: model X, implementation Y; ..." for every field that differs.
std::string abstract_diff(const Abstract& model, const Abstract& impl);
std::string describe(const Abstract& a);

// The model's view of a topology: sizes and op sets, read once.
class Model {
 public:
  explicit Model(const Topology& t);
  const Topology& topology() const { return t_; }
  State initial() const { return State(); }
  Abstract project(const State& s) const;

 private:
  Topology t_;
};

// ---- operations ------------------------------------------------------------------

enum class OpKind : std::uint8_t {
  file_check,          // a caller reads whether its file is preserved (no lock, no change)
  file_preserve,       // LUO preserves a file (the first one creates the FLB)
  file_unpreserve,     // LUO unpreserves a file (the last one tears the FLB down)
  domain_preserve,     // iommu_domain_preserve
  domain_unpreserve,   // iommu_domain_unpreserve
  device_preserve,     // iommu_preserve_device (a device in a shared IOMMU group is refused)
  device_unpreserve,   // iommu_unpreserve_device
  // A session's teardown reads, under the session mutex, the file its
  // session lists last (no change): SESSION_EMPTY when it lists none, else
  // session_entry(file, domain). Its handler's unpreserve and LUO's
  // unpreserve of that file are then the ops above, on that file.
  session_last_file,
  // iommu_device_release_dma_owner: the device's claim given back (its group
  // stays owned while another device of it holds one).
  owner_release,
  // iommu_group_add_device: a new device joins the device's group, unless one
  // of the group's devices is preserved (rule 6: -EBUSY).
  group_add,
};
inline constexpr int SESSION_EMPTY = 1;
// The return of session_last_file for a listed file and the domain its
// handler preserved against (-1 for none), and back.
inline constexpr int session_entry(int file, int domain) { return 2 + (file << 5 | (domain + 1)); }
inline constexpr int session_entry_file(int entry) { return (entry - 2) >> 5; }
inline constexpr int session_entry_domain(int entry) { return ((entry - 2) & 31) - 1; }
static_assert(FILES_MAX <= 32 && DOMAINS_MAX < 31, "session_entry packs a file and a domain in 5 bits each");
// file_preserve with domain >= 0 is a preserve through the file's session
// (iommufd, VFIO), which lists the file there; -1 is LUO's raw call.
struct Op {
  OpKind kind = OpKind::file_check;
  int file = -1, domain = -1, device = -1;
  int session = -1;
};
std::string describe(const Op& op);

// A fault the plan injected during a call: where and with what errno.
struct FaultHit {
  impl::fault_site site = impl::fault_site::kho_array_page;
  int err = 0;
};

struct OpOutcome {
  int ret = 0;
  State next;
  bool fault_used = false;  // the pending fault fired inside this op
};

// Every outcome the reference may produce for `op` from `s`. `fault` is the
// fault still pending for the running call, if any: when this op reaches the
// fault's site, the fault fires here (the op fails with its errno and leaves
// the abstract state as it was, rule 5). `overlapped`: another call ran at
// the same time, so the FLB may outlive its last file (teardown_pending).
// Outcomes are appended to `out`.
void apply(const Model& m, const State& s, const Op& op, const FaultHit* fault, std::vector<OpOutcome>& out,
           bool overlapped = false);
// The deferred teardown, when the last call holding the FLB returns: what the
// last file's unpreserve would have done (a no-op unless teardown_pending
// with no file preserved).
State teardown(const State& s);

// ---- callers: a Call is a short program of operations ----------------------

struct Progress {
  std::uint8_t pc = 0;
  std::int16_t saved = 0;  // an errno kept for the return after an undo
  bool operator==(const Progress&) const = default;
};
// The next operation of `call` at `p`, or nullopt when the call has returned.
std::optional<Op> call_next_op(const Topology& t, const Call& call, const Progress& p);
// Moves `p` past an operation that returned `ret`. True when the call has
// returned; then *call_ret is its return value (0 for void calls).
// A call inside its program never has p == Progress{} again.
bool call_advance(const Call& call, Progress& p, int ret, int* call_ret);
// The session whose mutex `call` holds from its start to its return (the
// contract callers: their file's; luo_session_release: its own), or -1.
// Two such calls on one session never interleave their operations.
int call_session_mutex(const Topology& t, const Call& call);

// A whole call run alone from `s`: every (return value, next state) the
// model allows. `fault` must fire inside the call when given; outcomes in
// which it cannot are dropped.
struct CallOutcome {
  int ret = 0;
  State next;
};
std::vector<CallOutcome> run_call(const Model& m, const State& s, const Call& call, const FaultHit* fault);

// The next kernel's restore of a state preserved at kexec: each preserved
// device with its domain and IOMMU, each preserved domain, each preserved
// IOMMU (ids, sorted). Empty when `retrieve_fails`.
struct Restore {
  std::vector<int> iommus, domains;
  std::vector<std::array<int, 3>> devices;  // device, domain, iommu
  bool operator==(const Restore&) const = default;
};
Restore restore(const Model& m, const State& s, bool retrieve_fails);

}  // namespace luv::model
