// One kernel's whole state: kernel objects, LUO, KHO pages, the fault plan,
// the scheduler's threads and what the Runner reads after each step.
//
// No global mutable state: everything a run touches is in its World. A World
// holds pointers into itself (dev->iommu, kptrs into its pages), so it is
// built in place and never copied or moved as an object; an engine that
// needs a state again copies back the bytes of the arena it lives in
// (shim/arena.h, the explorer) or rebuilds it by replaying the Scenario
// (docs/DESIGN.md, "Search nodes").
#pragma once
#include <array>
#include <string>
#include <vector>

#include "impl/iommu.h"
#include "impl/liveupdate.h"
#include "impl/scenario.h"
#include "impl/variant.h"
#include "linux/slab.h"

namespace luv::impl {

struct warning_event {
  std::string function;  // the function that warned, e.g. "iommu_unpreserve_device"
  const char* file;
  unsigned line;
  int thread;
};

struct World {
  World(const Scenario& scenario, const variant_rules& rules);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const variant_rules& rules;
  Topology topology;

  // Kernel objects, sized once: pointers to them stay valid for the run.
  std::vector<iommu_ops> iommu_op_tables;
  std::vector<iommu_domain_ops> domain_op_tables;
  std::vector<iommu_device> iommus;
  std::vector<iommu_domain> domains;
  std::vector<iommu_group> groups;
  std::vector<dev_iommu> dev_iommus;
  std::vector<device> devices;
  pci_bus bus;

  // LUO and the memory the IOMMU core allocates from.
  liveupdate_flb iommu_flb;
  std::vector<watched<bool>> file_preserved;
  std::vector<luo_session> sessions;  // by the topology's session index
  kmem_cache<iommu_flb_obj> flb_cache;
  kho_arena kho;

  // The fault plan and how often each site has been visited.
  std::vector<Fault> faults;
  std::array<int, FAULT_SITE_COUNT> fault_visits{};
  std::vector<Fault> faults_fired;

  // Scheduler: the running thread and every thread's suspension point.
  int current = 0;
  std::vector<kthread> threads;

  // Read (and cleared) by the Runner after each step.
  std::vector<warning_event> warnings;
  std::vector<std::string> warn_once_sites;  // "file:line:column" of each WARN_ON_ONCE that fired
  // Lockdep and KASAN reports: printed, and the thread goes on (a scope's
  // release cannot oops). The Runner reports each as its property.
  std::vector<Oops> splats;
  std::vector<std::vector<phys_addr_t>> call_allocations;  // records each thread's call allocated
  // The session entries each thread's call tore down (luo_session_release),
  // so that the Runner reads the teardown as the per-file unpreserves it
  // made, each with whether its own unpreserve met a WARN condition.
  struct released_file {
    luo_session::entry file;
    bool warned = false;
  };
  std::vector<std::vector<released_file>> call_released;

  bool after_kexec = false;
  // Set while the Runner destroys threads stopped mid-call: scope exits then
  // release nothing, as nothing runs on a kernel that has stopped.
  bool unwinding = false;

  // The kernel log, when the Runner traces; null otherwise (the fast path).
  std::vector<std::string>* log = nullptr;
  void printk(const std::string& line) {
    if (log) log->push_back(line);
  }

  int objs_per_page() const { return topology.objects_per_page; }
};

}  // namespace luv::impl
