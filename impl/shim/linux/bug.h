// Stand-in for <asm-generic/bug.h>: WARN_ON and WARN_ON_ONCE.
//
// A warning is recorded in the World with its call site instead of printing a
// backtrace; WARN_ON_ONCE fires once per call site per boot, as in the kernel.
#pragma once
#include <source_location>

namespace luv::impl {
struct World;

bool WARN_ON(World& w, bool condition, std::source_location site = std::source_location::current());
bool WARN_ON_ONCE(World& w, bool condition,
                  std::source_location site = std::source_location::current());
}  // namespace luv::impl
