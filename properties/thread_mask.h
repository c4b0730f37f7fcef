// The runnable threads of a step, bit t for thread t: as wide as the threads
// a valid Scenario may have (a shift past the width is undefined).
#pragma once
#include "impl/scenario.h"

namespace luv {

using thread_mask = unsigned;
static_assert(SCENARIO_THREADS_MAX <= static_cast<int>(sizeof(thread_mask) * 8),
              "thread_mask must hold a bit per thread a Scenario may have");

}  // namespace luv
