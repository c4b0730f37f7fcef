// The callers of the lifecycle: LUO for any file, the IOMMU core called
// directly, and the file owners (iommufd, VFIO) in the orders they really
// make their calls, serialised as LUO's sessions serialise them
// (docs/LUO.md). One entry point runs any Call of a Scenario.
#pragma once
#include <vector>

#include "impl/scenario.h"
#include "impl/shim/kthread.h"

namespace luv::impl {
struct World;

// The table of entry points: what each Call kind calls. One table, read by
// invoke() (the Runner's dispatch) and, for the names, by the SARIF source
// map (verify/source_map.cpp).
struct entry_point {
  CallKind kind;
  // The IOMMU core or LUO function the call enters (a caller's call names
  // the one it makes on its own thread): where a violation is located.
  const char* function;
  bool returns_void;  // a kernel void function: its Call returns 0
  task<int> (*run)(World& w, const Call& call);
};
const entry_point& entry_point_of(CallKind kind);

// The call's return value; 0 for the kernel's void functions.
task<int> invoke(World& w, const Call& call);
bool call_returns_void(CallKind kind);

// Every call a caller of `mode` may make on `t`, each kind with every
// argument: the one list the engines draw from (contract: iommufd_*, vfio_*
// and luo_session_release; adversarial: every kind).
std::vector<Call> calls_of_mode(CallerMode mode, const Topology& t);

// What a session's teardown means to its callers: the per-file unpreserve
// of each file of `session` (the VFIO ones with domain -1: the teardown uses
// the domain each device was preserved with). After luo_session_release
// returns, none of them is preserved any more.
std::vector<Call> release_as_unpreserves(const Topology& t, int session);
}  // namespace luv::impl
