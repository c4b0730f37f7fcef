// LUO files, the FLB callbacks (iommu_flb_preserve's goto unwinding on each
// fault, iommu_flb_unpreserve's teardown) and liveupdate_flb_get_outgoing,
// under every shipped variant.
#include <gtest/gtest.h>

#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"

namespace luv::test {
namespace {

using impl::fault_site;
using impl::kho_page_kind;

class Flb : public VariantTest {};

TEST_P(Flb, first_file_creates_flb_with_root_and_three_arrays) {
  Kernel k(GetParam());

  ASSERT_EQ(k.preserve_file(0), 0);

  ASSERT_TRUE(k.flb());
  EXPECT_EQ(k.w().iommu_flb.count, 1);
  EXPECT_TRUE(k.w().file_preserved[0]);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::ser_root), 1);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::iommu_array), 1);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::domain_array), 1);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::device_array), 1);
  const impl::iommu_ser& root = k.flb()->ser->root;
  EXPECT_EQ(root.iommu_array, k.flb()->curr_iommu_array->phys);
  EXPECT_EQ(root.domain_array, k.flb()->curr_domain_array->phys);
  EXPECT_EQ(root.device_array, k.flb()->curr_device_array->phys);
}

TEST_P(Flb, second_file_shares_the_flb_and_last_file_frees_it) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);
  impl::iommu_flb_obj* first = k.flb().get();

  ASSERT_EQ(k.preserve_file(3), 0);
  EXPECT_EQ(k.flb().get(), first);
  EXPECT_EQ(k.w().iommu_flb.count, 2);
  EXPECT_EQ(k.pages_allocated(), 4);

  ASSERT_EQ(k.unpreserve_file(0), 0);
  EXPECT_EQ(k.flb().get(), first);
  EXPECT_FALSE(first->freed);

  ASSERT_EQ(k.unpreserve_file(3), 0);
  EXPECT_FALSE(k.flb());
  EXPECT_TRUE(first->freed);
  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.w().flb_cache.live(), 0);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Flb, preserving_a_preserved_file_is_busy) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(1), 0);

  EXPECT_EQ(k.preserve_file(1), -EBUSY);

  EXPECT_EQ(k.w().iommu_flb.count, 1);
  EXPECT_EQ(k.pages_allocated(), 4);
}

TEST_P(Flb, unpreserving_an_unpreserved_file_is_enoent) {
  Kernel k(GetParam());
  EXPECT_EQ(k.unpreserve_file(0), -ENOENT);
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.unpreserve_file(1), -ENOENT);

  EXPECT_EQ(k.w().iommu_flb.count, 1);
  EXPECT_TRUE(k.flb());
}

// iommu_flb_preserve: each allocation fails in turn; the goto ladder must
// free exactly what was allocated before it, and LUO must not count the file.
struct FlbFault {
  fault_site site;
  int nth;
  int pages_allocated;  // before the failing allocation
  bool object_allocated;
};

class FlbPreserveFault : public ::testing::TestWithParam<std::tuple<const char*, FlbFault>> {};

TEST_P(FlbPreserveFault, unwinds_everything_it_allocated) {
  auto [variant, f] = GetParam();
  Kernel k(variant, default_topology(), {Fault{f.site, f.nth, 0}});

  EXPECT_EQ(k.preserve_file(0), -ENOMEM);

  ASSERT_EQ(k.w().faults_fired.size(), 1u);
  EXPECT_EQ(k.pages_allocated(), f.pages_allocated);
  EXPECT_EQ(k.pages_preserved(), 0);
  for (const impl::kho_page& p : k.w().kho.pages) EXPECT_TRUE(p.freed);
  EXPECT_EQ(static_cast<int>(k.w().flb_cache.objects.size()), f.object_allocated ? 1 : 0);
  EXPECT_EQ(k.w().flb_cache.live(), 0);
  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.w().iommu_flb.count, 0);
  EXPECT_FALSE(k.w().file_preserved[0]);

  // The next attempt (no fault left) works from a clean slate.
  EXPECT_EQ(k.preserve_file(0), 0);
  EXPECT_EQ(k.pages_preserved(), 4);
}

INSTANTIATE_TEST_SUITE_P(
    EachGotoLabel, FlbPreserveFault,
    ::testing::Combine(::testing::ValuesIn(shipped_names()),
                       ::testing::Values(FlbFault{fault_site::flb_kzalloc, 1, 0, false},
                                         FlbFault{fault_site::kho_flb_root, 1, 0, true},
                                         FlbFault{fault_site::kho_flb_array, 1, 1, true},    // err_free_ser
                                         FlbFault{fault_site::kho_flb_array, 2, 2, true},    // err_free_iommu_array
                                         FlbFault{fault_site::kho_flb_array, 3, 3, true})),  // err_free_domain_array
    [](const auto& info) {
      const FlbFault& f = std::get<1>(info.param);
      return test_name(std::get<0>(info.param)) + "_" + impl::fault_site_name(f.site) + "_" + std::to_string(f.nth);
    });

TEST(FlbPreserveFault, injected_errno_is_returned_as_is) {
  Kernel k("reference", default_topology(), {Fault{fault_site::kho_flb_array, 2, -ENOSPC}});
  EXPECT_EQ(k.preserve_file(0), -ENOSPC);
}

// liveupdate_flb_get_outgoing, with and without rule 4.
TEST_P(Flb, get_outgoing_without_a_file) {
  Kernel k(GetParam());
  impl::kptr<impl::iommu_flb_obj> obj;

  int ret = drive(k.w(), impl::liveupdate_flb_get_outgoing(k.w(), &k.w().iommu_flb, &obj));

  if (rules().hold_flb_reference) {
    EXPECT_EQ(ret, -ENOENT);
  } else {
    EXPECT_EQ(ret, 0);  // v2's LUO: success, and a NULL object
  }
  EXPECT_FALSE(obj);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
  EXPECT_EQ(k.w().iommu_flb.lock.owner, -1);
}

TEST_P(Flb, get_outgoing_with_a_file) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);
  impl::kptr<impl::iommu_flb_obj> obj;

  EXPECT_EQ(drive(k.w(), impl::liveupdate_flb_get_outgoing(k.w(), &k.w().iommu_flb, &obj)), 0);

  EXPECT_EQ(obj, k.flb());
  EXPECT_EQ(k.w().iommu_flb.users, rules().hold_flb_reference ? 1 : 0);
}

TEST(FlbReference, object_outlives_its_last_file_while_a_reference_is_held) {
  Kernel k("reference");
  ASSERT_EQ(k.preserve_file(0), 0);
  impl::kptr<impl::iommu_flb_obj> obj;
  ASSERT_EQ(drive(k.w(), impl::liveupdate_flb_get_outgoing(k.w(), &k.w().iommu_flb, &obj)), 0);

  ASSERT_EQ(k.unpreserve_file(0), 0);
  EXPECT_EQ(k.w().iommu_flb.count, 0);
  EXPECT_FALSE(obj->freed);
  EXPECT_EQ(k.pages_preserved(), 4);
  // A new first file reuses the held object instead of creating a second one.
  ASSERT_EQ(k.preserve_file(1), 0);
  ASSERT_EQ(k.unpreserve_file(1), 0);
  EXPECT_EQ(k.w().flb_cache.objects.size(), 1u);

  impl::liveupdate_flb_put_outgoing(k.w(), &k.w().iommu_flb);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
  EXPECT_TRUE(obj.get()->freed);
  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST(FlbReference, put_with_files_left_keeps_the_object) {
  Kernel k("reference");
  ASSERT_EQ(k.preserve_file(0), 0);
  impl::kptr<impl::iommu_flb_obj> obj;
  ASSERT_EQ(drive(k.w(), impl::liveupdate_flb_get_outgoing(k.w(), &k.w().iommu_flb, &obj)), 0);

  impl::liveupdate_flb_put_outgoing(k.w(), &k.w().iommu_flb);

  EXPECT_FALSE(obj.get()->freed);
  EXPECT_EQ(k.flb(), obj);
}

TEST(FlbReference, calls_drop_their_reference_on_every_path) {
  Kernel k("reference");
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.domain_preserve(0), 0);  // success
  EXPECT_EQ(k.domain_preserve(0), -EBUSY);  // refused under the lock
  EXPECT_EQ(k.preserve_device(0, 0), 0);
  EXPECT_EQ(k.preserve_device(0, 0), -EBUSY);
  k.unpreserve_device(0, 0);
  k.domain_unpreserve(0);
  k.domain_unpreserve(0);  // warns: not preserved

  EXPECT_EQ(k.w().iommu_flb.users, 0);
  ASSERT_EQ(k.unpreserve_file(0), 0);
  EXPECT_FALSE(k.flb());
}

// iommu_flb_unpreserve frees every page of every chain, not just the heads.
TEST_P(Flb, teardown_frees_chained_array_pages) {
  Kernel k(GetParam(), devices_behind_one_iommu(3, 1));
  k.preserve_file_and_domain();
  for (int d = 0; d < 3; ++d) {
    ASSERT_EQ(k.preserve_device(0, d), 0);
    k.unpreserve_device(0, d);
  }
  k.domain_unpreserve(0);
  ASSERT_EQ(k.chain(k.flb()->ser->root.device_array).size(), 3u);
  ASSERT_EQ(k.chain(k.flb()->ser->root.iommu_array).size(), 3u);  // a new HW record per re-preserve

  ASSERT_EQ(k.unpreserve_file(0), 0);

  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.warnings(), 0);
}

LUV_INSTANTIATE_VARIANTS(Flb);

}  // namespace
}  // namespace luv::test
