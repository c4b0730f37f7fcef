// A value as the kernel log prints addresses here ("%#llx"), for messages
// about KHO pages and records; one definition for impl/ and properties/.
#pragma once
#include <cstdio>
#include <string>

#include "linux/types.h"

namespace luv::impl {

inline std::string hex(u64 v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace luv::impl
