// Stand-in for <asm-generic/bug.h>: WARN_ON, WARN_ON_ONCE and BUG_ON.
//
// A warning is recorded in the World with its call site instead of printing a
// backtrace; WARN_ON_ONCE fires once per call site per boot, as in the kernel.
#pragma once
#include <source_location>
#include <stdexcept>
#include <string>

namespace luv::impl {
struct World;

bool WARN_ON(World& w, bool condition, std::source_location site = std::source_location::current());
bool WARN_ON_ONCE(World& w, bool condition,
                  std::source_location site = std::source_location::current());
// luv's own invariants (an id inside its fixed array, a coroutine state the
// scheduler relies on): a broken one is a bug in luv, not in the kernel code
// under test, so it throws std::logic_error instead of oopsing the World.
[[noreturn]] inline void bug(const char* condition, std::source_location site) {
  throw std::logic_error(std::string("luv BUG_ON(") + condition + ") at " + site.file_name() + ":" +
                         std::to_string(site.line()));
}
}  // namespace luv::impl

#define BUG_ON(condition)                                                          \
  do {                                                                             \
    if (condition) ::luv::impl::bug(#condition, std::source_location::current()); \
  } while (0)
