// The Scenario: everything one run needs, nothing else. A plain value that
// every engine produces and the Runner consumes; the counterexample file is
// its JSON form.
#pragma once
#include <string>
#include <vector>

#include "linux/fault-inject.h"
#include "linux/kexec_handover.h"
#include "linux/types.h"

namespace luv {

enum class CallerMode : impl::u8 { contract, adversarial };
const char* caller_mode_name(CallerMode mode);

// The entry points a caller can invoke in the outgoing kernel.
enum class CallKind : impl::u8 {
  // LUO, for any file (adversarial mode)
  luo_preserve_file,
  luo_unpreserve_file,
  // the IOMMU core, called directly (adversarial mode)
  iommu_domain_preserve,
  iommu_domain_unpreserve,
  iommu_preserve_device,
  iommu_unpreserve_device,
  // VFIO gives back a device's claim on its group's DMA ownership (adversarial
  // mode: VFIO keeps the claim while LUO holds the device's file)
  iommu_device_release_dma_owner,
  // A new device (one no call names) joins the device's IOMMU group, as a
  // hotplugged function does at its probe (adversarial mode)
  iommu_group_add_device,
  // the file owners, in the orders they really call (both modes)
  iommufd_preserve,    // LUO preserves the domain's iommufd file, which preserves the domain
  iommufd_unpreserve,  // the domain, then the file
  vfio_preserve,       // LUO preserves the device's VFIO cdev file, which preserves the device
  vfio_unpreserve,     // the device, then the file
  // LUO, when the last reference to a session's fd goes (both modes): every
  // file of the session, last preserved first, under the session's mutex
  luo_session_release,
};
inline constexpr int CALL_KIND_COUNT = 13;
const char* call_kind_name(CallKind kind);
bool call_kind_parse(const std::string& name, CallKind& out);
// Which arguments a call takes.
bool call_takes_file(CallKind kind);
bool call_takes_domain(CallKind kind);
bool call_takes_device(CallKind kind);
bool call_takes_session(CallKind kind);
bool call_is_contract(CallKind kind);  // iommufd_*, vfio_* and luo_session_release
bool call_is_preserve(CallKind kind);
// iommu_device_release_dma_owner and iommu_group_add_device: they change the
// device's IOMMU group, never a record, so they neither preserve nor unpreserve.
bool call_acts_on_group(CallKind kind);

struct Call {
  CallKind kind = CallKind::iommufd_preserve;
  int file = -1;
  int domain = -1;
  int device = -1;
  int session = -1;
  bool operator==(const Call&) const = default;
};

// Driver op sets as bit masks.
enum IommuOp : impl::u8 {
  IOMMU_OP_PRESERVE = 1,
  IOMMU_OP_UNPRESERVE = 2,
  IOMMU_OP_PRESERVE_DEVICE = 4,
  IOMMU_OP_UNPRESERVE_DEVICE = 8,
  IOMMU_OPS_ALL = 15,
};
enum DomainOp : impl::u8 {
  DOMAIN_OP_PRESERVE = 1,
  DOMAIN_OP_UNPRESERVE = 2,
  DOMAIN_OPS_ALL = 3,
};

struct IommuSpec {
  impl::u8 ops = IOMMU_OPS_ALL;
  bool operator==(const IommuSpec&) const = default;
};
struct DomainSpec {
  impl::u8 ops = DOMAIN_OPS_ALL;
  bool operator==(const DomainSpec&) const = default;
};
struct DeviceSpec {
  int iommu = 0;
  bool pci = true;
  bool dma_owner = true;
  // The IOMMU group: -1, its own (a singleton group); else the index of an
  // earlier device whose group it joins (a group of several devices, which
  // shares one DMA owner).
  int group = -1;
  bool operator==(const DeviceSpec&) const = default;
};

struct Topology {
  int objects_per_page = 2;
  std::vector<IommuSpec> iommus;
  std::vector<DomainSpec> domains;
  std::vector<DeviceSpec> devices;
  // The LUO session of each file, by file index. Empty (the default): each
  // file in its own session, the grouping with the least serialisation
  // (docs/LUO.md says why that is the default).
  std::vector<int> sessions;
  bool operator==(const Topology&) const = default;

  // Files: one iommufd file per domain, then one VFIO cdev file per device.
  int files() const { return static_cast<int>(domains.size() + devices.size()); }
  int iommufd_file(int domain) const { return domain; }
  int vfio_file(int device) const { return static_cast<int>(domains.size()) + device; }
  // The domain of an iommufd file, the device of a VFIO file; -1 otherwise.
  int file_domain(int file) const { return file < static_cast<int>(domains.size()) ? file : -1; }
  int file_device(int file) const {
    int first = static_cast<int>(domains.size());
    return file >= first ? file - first : -1;
  }

  // The device whose group device d is in (the group's first device), and
  // whether that group has d alone.
  int group_of(int d) const {
    int g = devices[static_cast<size_t>(d)].group;
    return g < 0 ? d : g;
  }
  bool group_is_singleton(int d) const;

  int session_of(int file) const { return sessions.empty() ? file : sessions[static_cast<size_t>(file)]; }
  int session_count() const;
  std::vector<int> files_of_session(int session) const;
};

// docs/SPEC.md's default bound: IOMMU 0 and domain 0 have every op; IOMMU 1 and
// domain 1 take the op sets given.
Topology default_topology(impl::u8 iommu1_ops = IOMMU_OPS_ALL, impl::u8 domain1_ops = DOMAIN_OPS_ALL);

struct Fault {
  impl::fault_site site = impl::fault_site::kho_array_page;
  int nth = 1;    // which visit of the site fails, counting from 1
  int err = 0;    // the negative errno injected; 0 means the site's usual one
  bool operator==(const Fault&) const = default;
};

struct Scenario {
  std::string variant = "reference";
  CallerMode mode = CallerMode::contract;
  Topology topology = default_topology();
  std::vector<Fault> faults;
  std::vector<std::vector<Call>> threads;
  // Which thread runs each step; past its end, or when the named thread
  // cannot run, the running thread goes on (else the lowest runnable one).
  std::vector<int> schedule;
  bool kexec = true;  // after the threads finish: kexec and the next kernel's restore
  bool operator==(const Scenario&) const = default;

  int calls_total() const;
};

// The limits of a Scenario (counterexamples/FORMAT.md), checked by
// validate() when a file is read. What each one holds up:
// - threads: the Runner keeps the runnable threads in a bit mask
//   (runner.h's thread_mask, static_assert'ed against this);
// - calls: 10,000 in all, in any split across threads (one thread may hold
//   them all); the Runner's step bound grows with them (steps_bound);
// - schedule: 20 entries per call at the call limit, more than the steps a
//   run of that many calls takes;
// - topology: sizes the model and the encoding represent (model.h), so that
//   every judge can judge a file at the limit.
inline constexpr int SCENARIO_THREADS_MAX = 16;
inline constexpr int SCENARIO_CALLS_MAX = 10000;
inline constexpr int SCENARIO_CALLS_PER_THREAD_MAX = SCENARIO_CALLS_MAX;
inline constexpr int SCENARIO_IOMMUS_MAX = 16;
inline constexpr int SCENARIO_DOMAINS_MAX = 16;
inline constexpr int SCENARIO_DEVICES_MAX = 32;
inline constexpr int SCENARIO_FAULTS_MAX = 16;
inline constexpr int SCENARIO_SCHEDULE_MAX = 20 * SCENARIO_CALLS_MAX;

// Empty when the Scenario can run; else one line naming the field at fault,
// e.g. "threads[1][0].device: 7 is not a device (topology has 3)".
std::string validate(const Scenario& s);

}  // namespace luv
