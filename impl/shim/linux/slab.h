// Stand-in for <linux/slab.h>: kzalloc/kfree of kernel objects of one type.
//
// Objects live in a deque and are never reused, so a freed object stays
// poisoned and a touch through a kptr is caught as a use after free.
#pragma once
#include <deque>

#include "impl/shim/kptr.h"

namespace luv::impl {
template <typename T>
struct kmem_cache {
  std::deque<T> objects;
  kptr<T> alloc() {
    note_read(this, read_kind::slab_alloc);
    objects.emplace_back();
    return kptr<T>(&objects.back());
  }
  // kfree: the object stays in place, poisoned (T::kpoison marks it freed).
  void free(kptr<T> p) { p->kpoison(); }
  int live() const {
    int n = 0;
    for (const T& o : objects) n += !o.kfreed();
    return n;
  }
};
}  // namespace luv::impl
