// Calls written by hand in the Runner-level tests: on a file, on a domain,
// on a device attached to a domain (the unused indices -1, as the Scenario
// format has them).
#pragma once
#include "impl/scenario.h"

namespace luv::testing_calls {

inline Call file_call(CallKind kind, int file) { return Call{kind, file, -1, -1}; }
inline Call domain_call(CallKind kind, int domain) { return Call{kind, -1, domain, -1}; }
inline Call device_call(CallKind kind, int domain, int device) { return Call{kind, -1, domain, device}; }

}  // namespace luv::testing_calls
