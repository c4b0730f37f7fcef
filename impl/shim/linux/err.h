// Stand-in for <linux/err.h>. In luv a kernel pointer is a checked kptr<T>
// (see kptr.h), which carries the error value itself, so ERR_PTR and friends
// keep the kernel's spelling and meaning.
#pragma once
#include "impl/shim/kptr.h"

namespace luv::impl {
template <typename T>
kptr<T> ERR_PTR(int err) { return kptr<T>::from_err(err); }
template <typename T>
bool IS_ERR(const kptr<T>& p) { return p.is_err(); }
template <typename T>
int PTR_ERR(const kptr<T>& p) { return p.err(); }
}  // namespace luv::impl
