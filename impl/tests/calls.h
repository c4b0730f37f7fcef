// Calls written by hand in the tests of impl/ and the layers above it
// (model/, properties/): unused indices -1, as the Scenario format has them.
#pragma once
#include "impl/scenario.h"

namespace luv::testing_calls {

inline Call call(CallKind kind, int domain = -1, int device = -1, int file = -1) { return Call{kind, file, domain, device}; }
inline Call file_call(CallKind kind, int file) { return call(kind, -1, -1, file); }
inline Call domain_call(CallKind kind, int domain) { return call(kind, domain); }
inline Call device_call(CallKind kind, int domain, int device) { return call(kind, domain, device); }
inline Call release(int session) {
  Call c = call(CallKind::luo_session_release);
  c.session = session;
  return c;
}

}  // namespace luv::testing_calls
