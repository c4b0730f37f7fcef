// LUV_ASSERT(cond): what the code relies on, checked in every build. A false
// condition is a bug of luv (never of the Scenario or of impl/'s kernel
// code, which properties report as findings), so it throws std::logic_error
// naming the file, the line and the condition, and the run or search stops
// there instead of going on from a state it does not understand.
//
// The check is one predictable branch; the message is built only when it
// fails, out of line, so hot loops (the scheduler, the visited set) keep it.
#pragma once
#include <stdexcept>
#include <string>

namespace luv::assert_detail {
[[noreturn, gnu::cold, gnu::noinline]] inline void fail(const char* file, int line, const char* condition) {
  throw std::logic_error(std::string("luv bug: ") + file + ":" + std::to_string(line) + ": assertion " + condition +
                         " failed");
}
}  // namespace luv::assert_detail

#define LUV_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::luv::assert_detail::fail(__FILE__, __LINE__, #cond))
