// The callers of the lifecycle: LUO for any file, the IOMMU core called
// directly, and the file owners (iommufd, VFIO) in the orders they really
// make their calls. One entry point runs any Call of a Scenario.
#pragma once
#include "linux/sched.h"
#include "scenario.h"

namespace luv::impl {
struct World;

// The call's return value; 0 for the kernel's void functions.
task<int> invoke(World& w, const Call& call);
bool call_returns_void(CallKind kind);
}  // namespace luv::impl
