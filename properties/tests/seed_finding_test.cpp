// The seed's finding (Baolu Lu's review of patch v2 04/16): an IOMMU driver
// that implements preserve and preserve_device but not unpreserve.
//
// The story: iommufd preserves domain 0; VFIO preserves dev1 (behind that
// IOMMU) against it, which preserves the IOMMU's HW record and the driver's
// private pages; VFIO unpreserves dev1. v2's iommu_unpreserve_device returns
// at its ops check without a word, so the HW record, the device record and
// the driver's pages stay preserved forever: a silent leak. The review's
// WARN_ON_ONCE (v2-warn) makes it loud but still leaks; the reference
// refuses the preserve up front (-EOPNOTSUPP, one warning), so nothing leaks.
#include <gtest/gtest.h>

#include "impl/tests/kernel.h"
#include "linux/errno.h"
#include "properties/runner.h"

namespace luv::test {
namespace {

constexpr impl::u8 kPreserveOnly = IOMMU_OP_PRESERVE | IOMMU_OP_PRESERVE_DEVICE;

Scenario seed_scenario(const std::string& variant) {
  Scenario s;
  s.variant = variant;
  s.mode = CallerMode::contract;
  s.topology = default_topology(kPreserveOnly);
  s.threads = {{
      Call{CallKind::iommufd_preserve, -1, 0, -1},
      Call{CallKind::vfio_preserve, -1, 0, 1},
      Call{CallKind::vfio_unpreserve, -1, 0, 1},
      Call{CallKind::iommufd_unpreserve, -1, 0, -1},
  }};
  return s;
}

RunResult run_no_leak_only(const std::string& variant) {
  RunOptions o;
  o.properties = only(PropertyId::no_leak);
  return run(seed_scenario(variant), o);
}

// The state right after "preserve dev1, unpreserve dev1", on the kernel itself.
struct AfterUnpreserve {
  int preserve_ret;
  bool hw_record_live;
  bool device_record_live;
  int driver_pages_preserved;
  int warnings;
};
AfterUnpreserve preserve_then_unpreserve(const std::string& variant) {
  Kernel k(variant, default_topology(kPreserveOnly));
  k.preserve_file_and_domain(0);
  int ret = k.preserve_device(0, 1);
  k.unpreserve_device(0, 1);
  k.domain_unpreserve(0);
  const auto& hw = k.iommu(1).outgoing_preserved_state;
  const auto& dev = k.dev(1).iommu->device_ser;
  return {ret, hw && !hw->hdr.deleted, dev && !dev->hdr.deleted,
          k.pages_preserved(impl::kho_page_kind::driver_private), k.warnings()};
}

TEST(SeedFinding, v2_missing_unpreserve_leaks_hw_record) {
  AfterUnpreserve after = preserve_then_unpreserve("v2");
  EXPECT_EQ(after.preserve_ret, 0);
  EXPECT_TRUE(after.hw_record_live);
  EXPECT_TRUE(after.device_record_live);
  EXPECT_EQ(after.driver_pages_preserved, 2);  // the IOMMU's root table, dev1's context table
  EXPECT_EQ(after.warnings, 0);

  RunResult r = run_no_leak_only("v2");

  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[1].ret, 0);  // vfio_preserve accepted the driver
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_leak);
  EXPECT_EQ(r.warnings, 0);  // silent
}

TEST(SeedFinding, v2_warn_missing_unpreserve_leaks_with_one_warning) {
  AfterUnpreserve after = preserve_then_unpreserve("v2-warn");
  EXPECT_EQ(after.preserve_ret, 0);
  EXPECT_TRUE(after.hw_record_live);
  EXPECT_TRUE(after.device_record_live);
  EXPECT_EQ(after.driver_pages_preserved, 2);
  EXPECT_EQ(after.warnings, 1);

  RunResult r = run_no_leak_only("v2-warn");

  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_leak);
  EXPECT_EQ(r.warnings, 1);
}

TEST(SeedFinding, reference_refuses_missing_unpreserve_and_leaves_nothing) {
  AfterUnpreserve after = preserve_then_unpreserve("reference");
  EXPECT_EQ(after.preserve_ret, -EOPNOTSUPP);
  EXPECT_FALSE(after.hw_record_live);
  EXPECT_FALSE(after.device_record_live);
  EXPECT_EQ(after.driver_pages_preserved, 0);

  RunResult r = run(seed_scenario("reference"));  // every property

  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[1].ret, -EOPNOTSUPP);
  EXPECT_EQ(r.warnings, 1);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  // After kexec the next kernel found nothing, and no page is left preserved
  // (the Runner's no-leak check after restore would have said otherwise).
  EXPECT_TRUE(r.kexec_done);
  EXPECT_TRUE(r.restore.devices.empty() && r.restore.iommus.empty() && r.restore.domains.empty());

  Kernel k("reference", default_topology(kPreserveOnly));
  Scenario s = seed_scenario("reference");
  for (const Call& c : s.threads[0]) k.invoke(c);
  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.w().flb_cache.live(), 0);
}

}  // namespace
}  // namespace luv::test
