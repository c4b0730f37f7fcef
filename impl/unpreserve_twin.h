// Rule 1's condition, in one place: a preserve op without its unpreserve
// twin can never be undone. impl/ asks it of a driver's ops, model/ and
// properties/ of a topology's op masks, solver/ of symbolic op bits; all
// call these, so the condition cannot drift between them.
#pragma once
#include "impl/op_footprint.h"
#include "impl/scenario.h"

namespace luv::impl {

// B is bool, or any type with &&, || and ! (a z3::expr).
template <typename B>
B lacks_unpreserve_twin(const B& preserve, const B& unpreserve) {
  return preserve && !unpreserve;
}
template <typename B>
B iommu_lacks_unpreserve_twin(const B& preserve, const B& unpreserve, const B& preserve_device,
                              const B& unpreserve_device) {
  return lacks_unpreserve_twin(preserve, unpreserve) || lacks_unpreserve_twin(preserve_device, unpreserve_device);
}

// On a topology's op masks (IommuOp, DomainOp bits).
inline bool iommu_lacks_unpreserve_twin(u8 ops) {
  return iommu_lacks_unpreserve_twin<bool>(ops & IOMMU_OP_PRESERVE, ops & IOMMU_OP_UNPRESERVE,
                                           ops & IOMMU_OP_PRESERVE_DEVICE, ops & IOMMU_OP_UNPRESERVE_DEVICE);
}
inline bool domain_lacks_unpreserve_twin(u8 ops) {
  return lacks_unpreserve_twin<bool>(ops & DOMAIN_OP_PRESERVE, ops & DOMAIN_OP_UNPRESERVE);
}

// Rule 1 asked of IOMMU i's (domain d's) op set in a topology: one question,
// noted in the thread's op footprint.
inline bool iommu_lacks_unpreserve_twin(const Topology& t, int i) {
  return ask_iommu_ops(t, i, [](u8 mask) { return iommu_lacks_unpreserve_twin(mask); });
}
inline bool domain_lacks_unpreserve_twin(const Topology& t, int d) {
  return ask_domain_ops(t, d, [](u8 mask) { return domain_lacks_unpreserve_twin(mask); });
}

}  // namespace luv::impl
