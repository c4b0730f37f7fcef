// The abstraction function: an implementation World (impl/world.h) seen as
// the model's Abstract state (model.h). The only part of model/ that knows
// the implementation's data structures.
#pragma once
#include "model.h"

namespace luv::impl {
struct World;
}

namespace luv::model {

// Reads the World without touching it: pointers are followed by address
// (never through a checking kptr dereference), so a broken state is
// described (DANGLING, BAD_LINK) rather than oopsing.
Abstract abstraction(const impl::World& w);

}  // namespace luv::model
