// The abstraction function: an implementation World (impl/world.h) seen as
// the model's Abstract state (model.h). The only part of model/ that knows
// the implementation's data structures.
#pragma once
#include <vector>

#include "model/model.h"

namespace luv::impl {
struct World;
struct kho_page;
}

namespace luv::model {

// Reads the World without touching it: pointers are followed by address
// (never through a checking kptr dereference), so a broken state is
// described (DANGLING, BAD_LINK) rather than oopsing.
Abstract abstraction(const impl::World& w);
// The same, given the World's unfreed pages in allocation order (the only
// ones it counts): for checks at every quiescent point, which keep that list
// up to date instead of walking every page the run ever allocated.
Abstract abstraction(const impl::World& w, const std::vector<const impl::kho_page*>& unfreed_pages);

}  // namespace luv::model
