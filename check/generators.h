// RapidCheck generators of Scenarios.
//
// A Scenario is generated as independent raw parts (topology entries, calls
// with raw argument numbers, faults, schedule entries) and then fitted
// together: arguments are taken modulo the topology's sizes, so that
// RapidCheck can shrink every part on its own (drop a device, a call, a
// thread, a fault, a schedule entry; move a number towards 0) and every
// shrink is still a valid Scenario. Each raw part shrinks towards the plain
// case: every op present, PCI devices with a DMA owner, each in its own
// IOMMU group, argument 0, fault on the first visit with the site's usual
// errno, an empty schedule (the threads run one after the other), kexec at
// the end.
#pragma once
#include <string>

#include <rapidcheck.h>

#include "impl/scenario.h"

namespace luv {

struct GenOptions {
  std::string variant = "reference";
  CallerMode mode = CallerMode::contract;
  int iommus_max = 4;           // topology: 1..4 IOMMUs with any op set
  int domains_max = 4;          // 1..4 domains
  int devices_max = 6;          // 1..6 devices
  bool shared_groups = true;    // some devices join an earlier device's IOMMU group (one in five)
  int objects_per_page_max = 4; // 1..4 records per KHO array page
  int threads_max = 3;          // 1..3 threads
  int calls_per_thread_max = 4;
  int faults_max = 2;           // over every fault site, flb_retrieve included
  int schedule_max = 24;        // schedule entries; past the end the running thread goes on
  // luo_session_release calls (one in ten contract calls); the Runner reads
  // them as impl::release_as_unpreserves() says (docs/LUO.md).
  bool session_release = true;
};

rc::Gen<Scenario> scenario_gen(const GenOptions& o);

}  // namespace luv
