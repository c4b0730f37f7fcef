// One completed call of a run, as the Runner records it (the history that
// model-refinement, linearizability and the reports read).
#pragma once
#include "impl/scenario.h"

namespace luv {

struct CallRecord {
  int thread = 0;
  int index = 0;  // position in its thread
  Call call;
  int ret = 0;
  bool returned_void = false;
  int first_step = 0;
  int last_step = 0;
};

}  // namespace luv
