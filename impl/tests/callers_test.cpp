// The callers: iommufd and VFIO in the orders they really call, LUO files,
// and the direct entry points, through impl::invoke.
#include <gtest/gtest.h>

#include "impl/tests/calls.h"
#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"

namespace luv::test {
namespace {

using impl::fault_site;
using testing_calls::call;

class Callers : public VariantTest {};

TEST_P(Callers, iommufd_and_vfio_round_trip_leaves_nothing) {
  Kernel k(GetParam());

  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);
  EXPECT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 1)), 0);
  EXPECT_TRUE(k.w().file_preserved[k.w().topology.iommufd_file(0)]);
  EXPECT_TRUE(k.w().file_preserved[k.w().topology.vfio_file(1)]);
  EXPECT_EQ(k.w().iommu_flb.count, 2);
  EXPECT_TRUE(k.dev(1).iommu->device_ser);

  EXPECT_EQ(k.invoke(call(CallKind::vfio_unpreserve, 0, 1)), 0);
  EXPECT_EQ(k.invoke(call(CallKind::iommufd_unpreserve, 0)), 0);

  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Callers, iommufd_preserve_failure_unwinds_its_file) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::op_domain_preserve, 1, 0}});

  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), -EIO);

  EXPECT_FALSE(k.w().file_preserved[0]);
  EXPECT_EQ(k.w().iommu_flb.count, 0);
  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST_P(Callers, iommufd_preserve_of_a_preserved_file_is_busy) {
  Kernel k(GetParam());
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);

  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), -EBUSY);

  EXPECT_EQ(k.records(impl::kho_page_kind::domain_array, false), 1);
}

TEST_P(Callers, iommufd_preserve_flb_failure_preserves_no_file) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::kho_flb_root, 1, 0}});

  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), -ENOMEM);

  EXPECT_FALSE(k.w().file_preserved[0]);
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST_P(Callers, unpreserve_of_an_unpreserved_file_is_enoent) {
  Kernel k(GetParam());

  EXPECT_EQ(k.invoke(call(CallKind::iommufd_unpreserve, 0)), -ENOENT);
  EXPECT_EQ(k.invoke(call(CallKind::vfio_unpreserve, 0, 2)), -ENOENT);
  EXPECT_EQ(k.invoke(call(CallKind::luo_unpreserve_file, -1, -1, 4)), -ENOENT);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Callers, vfio_preserve_failure_unwinds_its_file) {
  Kernel k(GetParam());
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);

  EXPECT_EQ(k.invoke(call(CallKind::vfio_preserve, 1, 0)), -EINVAL);  // domain 1 not preserved

  EXPECT_FALSE(k.w().file_preserved[k.w().topology.vfio_file(0)]);
  EXPECT_EQ(k.w().iommu_flb.count, 1);
}

TEST_P(Callers, direct_entry_points_through_invoke) {
  Kernel k(GetParam());

  EXPECT_EQ(k.invoke(call(CallKind::luo_preserve_file, -1, -1, 3)), 0);
  EXPECT_EQ(k.invoke(call(CallKind::luo_preserve_file, -1, -1, 3)), -EBUSY);
  EXPECT_EQ(k.invoke(call(CallKind::iommu_domain_preserve, 0)), 0);
  EXPECT_EQ(k.invoke(call(CallKind::iommu_preserve_device, 0, 0)), 0);
  EXPECT_TRUE(k.dev(0).iommu->device_ser);
  EXPECT_EQ(k.invoke(call(CallKind::iommu_unpreserve_device, 0, 0)), 0);
  EXPECT_FALSE(k.dev(0).iommu->device_ser);
  EXPECT_EQ(k.invoke(call(CallKind::iommu_domain_unpreserve, 0)), 0);
  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_EQ(k.invoke(call(CallKind::luo_unpreserve_file, -1, -1, 3)), 0);
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST(Callers, only_the_three_kernel_void_functions_return_void) {
  for (int i = 0; i < CALL_KIND_COUNT; ++i) {
    CallKind kind = static_cast<CallKind>(i);
    EXPECT_EQ(impl::call_returns_void(kind), kind == CallKind::iommu_domain_unpreserve ||
                                                 kind == CallKind::iommu_unpreserve_device ||
                                                 kind == CallKind::iommu_device_release_dma_owner)
        << call_kind_name(kind);
  }
}

LUV_INSTANTIATE_VARIANTS(Callers);

}  // namespace
}  // namespace luv::test
