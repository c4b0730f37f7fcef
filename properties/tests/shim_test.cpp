// The kernel shims the lifecycle stands on: errno names, fault sites, WARN
// and WARN_ON_ONCE, mutex/lockdep splats, kptr oopses, the KHO arena's
// addresses, and the variant table's mutant rows.
#include <gtest/gtest.h>

#include "impl/tests/kernel.h"
#include "linux/bug.h"
#include "linux/errno.h"
#include "properties/runner.h"

namespace luv::test {
namespace {

TEST(Shim, errno_names_round_trip) {
  for (int err : {-EPERM, -ENOENT, -EIO, -ENOMEM, -EBUSY, -EEXIST, -ENODEV, -EINVAL, -ENOSPC, -EOPNOTSUPP}) {
    int parsed = 0;
    ASSERT_TRUE(impl::errno_parse(impl::errno_name(err), parsed)) << err;
    EXPECT_EQ(parsed, err);
  }
  int parsed = 0;
  EXPECT_TRUE(impl::errno_parse("ENOMEM", parsed));
  EXPECT_EQ(parsed, -ENOMEM);
  EXPECT_FALSE(impl::errno_parse("ENOTANERRNO", parsed));
  EXPECT_EQ(impl::errno_name(0), "0");
  EXPECT_EQ(impl::errno_name(-1234), "-1234");
}

TEST(Shim, fault_sites_round_trip) {
  for (int i = 0; i < impl::FAULT_SITE_COUNT; ++i) {
    impl::fault_site site{};
    ASSERT_TRUE(impl::fault_site_parse(impl::fault_site_name(static_cast<impl::fault_site>(i)), site));
    EXPECT_EQ(static_cast<int>(site), i);
  }
  impl::fault_site site{};
  EXPECT_FALSE(impl::fault_site_parse("kho_everything", site));
}

TEST(Shim, should_fail_counts_visits_and_fires_on_the_nth) {
  Kernel k("reference", default_topology(), {Fault{impl::fault_site::op_iommu_preserve, 2, -ENODEV}});
  EXPECT_EQ(impl::should_fail(k.w(), impl::fault_site::op_iommu_preserve), 0);
  EXPECT_EQ(impl::should_fail(k.w(), impl::fault_site::op_iommu_preserve), -ENODEV);
  EXPECT_EQ(impl::should_fail(k.w(), impl::fault_site::op_iommu_preserve), 0);
  EXPECT_EQ(k.w().fault_visits[static_cast<int>(impl::fault_site::op_iommu_preserve)], 3);
  ASSERT_EQ(k.w().faults_fired.size(), 1u);
  EXPECT_EQ(k.w().faults_fired[0].nth, 2);
}

TEST(Shim, warn_on_every_time_warn_on_once_once_per_site) {
  Kernel k("reference");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(impl::WARN_ON(k.w(), true));
    EXPECT_TRUE(impl::WARN_ON_ONCE(k.w(), true));  // one site, three visits
  }
  EXPECT_FALSE(impl::WARN_ON(k.w(), false));
  EXPECT_FALSE(impl::WARN_ON_ONCE(k.w(), false));
  EXPECT_EQ(k.warnings(), 4);
  EXPECT_TRUE(impl::WARN_ON_ONCE(k.w(), true));  // another site
  EXPECT_EQ(k.warnings(), 5);
  EXPECT_EQ(k.warned_in(0), "TestBody");
}

impl::task<int> lock_twice(impl::World& w, impl::mutex* m) {
  co_await impl::mutex_lock(w, m);
  co_await impl::mutex_lock(w, m);
  co_return 0;
}

TEST(Shim, recursive_lock_is_a_deadlock_oops) {
  Kernel k("reference");
  impl::mutex m{"test_lock"};
  EXPECT_EQ(oops_of([&] { drive(k.w(), lock_twice(k.w(), &m)); }), impl::oops_kind::deadlock);
}

TEST(Shim, unlock_by_a_non_owner_is_a_splat) {
  Kernel k("reference");
  impl::mutex m{"test_lock"};
  m.owner = 1;

  impl::mutex_unlock(k.w(), &m);

  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_NE(k.w().splats[0].message.find("not held by this thread"), std::string::npos);
  EXPECT_EQ(m.owner, 1);
}

TEST(Shim, guard_of_a_lock_not_held_is_a_splat) {
  Kernel k("reference");
  impl::mutex m{"test_lock"};
  { impl::mutex_guard g(k.w(), &m); }

  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_NE(k.w().splats[0].message.find("which it does not hold"), std::string::npos);
}

TEST(Shim, guard_of_a_lock_freed_under_it_is_a_use_after_free) {
  Kernel k("reference");
  impl::mutex m{"test_lock"};
  {
    impl::mutex_guard g(k.w(), &m);
    m.owner = 0;
    m.poisoned = true;  // the object holding it is freed while the guard is in scope
  }

  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_EQ(k.w().splats[0].kind, impl::oops_kind::use_after_free);
  EXPECT_NE(k.w().splats[0].message.find("of a freed object"), std::string::npos);
}

TEST(Shim, lockdep_assert_held) {
  Kernel k("reference");
  impl::mutex m{"test_lock"};
  m.owner = 0;
  impl::lockdep_assert_held(k.w(), &m);
  EXPECT_TRUE(k.w().splats.empty());
  m.owner = -1;
  impl::lockdep_assert_held(k.w(), &m);
  EXPECT_EQ(k.w().splats.size(), 1u);
}

TEST(Shim, kptr_oopses_on_null_err_and_freed) {
  Kernel k("reference");
  impl::kptr<impl::kho_page> null;
  impl::kptr<impl::kho_page> err = impl::kptr<impl::kho_page>::from_err(-ENOMEM);
  impl::kptr<impl::kho_page> page = impl::kho_alloc_preserve(k.w(), impl::kho_page_kind::driver_private,
                                                             impl::fault_site::kho_driver_page);
  EXPECT_EQ(oops_of([&] { (void)null->phys; }), impl::oops_kind::null_deref);
  EXPECT_EQ(oops_of([&] { (void)err->phys; }), impl::oops_kind::null_deref);
  EXPECT_FALSE(oops_of([&] { (void)page->phys; }));

  impl::kho_unpreserve_free(k.w(), page);

  EXPECT_EQ(oops_of([&] { (void)page->phys; }), impl::oops_kind::use_after_free);
  // A double free touches the freed page.
  EXPECT_EQ(oops_of([&] { impl::kho_unpreserve_free(k.w(), page); }), impl::oops_kind::use_after_free);
}

TEST(Shim, kho_addresses) {
  Kernel k("reference");
  impl::kptr<impl::kho_page> a =
      impl::kho_alloc_preserve(k.w(), impl::kho_page_kind::device_array, impl::fault_site::kho_array_page);
  impl::kptr<impl::kho_page> b =
      impl::kho_alloc_preserve(k.w(), impl::kho_page_kind::device_array, impl::fault_site::kho_array_page);

  EXPECT_EQ(a->phys, 0x1000u);  // address 0 is never a page
  EXPECT_EQ(b->phys, 0x2000u);
  EXPECT_EQ(impl::kho_page_at(k.w(), 0), nullptr);
  EXPECT_EQ(impl::kho_page_at(k.w(), 0x3000), nullptr);
  EXPECT_EQ(impl::kho_page_at(k.w(), 0x2040), b.get());
  impl::kptr<impl::iommu_obj_ser> rec(&b->objects[1]);  // the last of the page's 2 slots (objects_per_page)
  EXPECT_EQ(impl::virt_to_phys(rec), 0x2000u + impl::KHO_SLOT_OFFSET + 1 * impl::KHO_SLOT_SIZE);
  EXPECT_EQ(impl::phys_to_virt(k.w(), impl::virt_to_phys(rec)), rec);
  EXPECT_EQ(impl::virt_to_phys(impl::kptr<impl::iommu_obj_ser>()), 0u);
  EXPECT_FALSE(impl::phys_to_virt(k.w(), 0x2000));  // the header, not a slot
  EXPECT_FALSE(impl::phys_to_virt(k.w(), 0x2041));  // not on a slot boundary
  EXPECT_FALSE(impl::phys_to_virt(k.w(), 0x5040));  // no page
  EXPECT_FALSE(impl::phys_to_virt(k.w(), 0x2000 + impl::KHO_SLOT_OFFSET + 2 * impl::KHO_SLOT_SIZE));  // past the page
}

// ---- the capacity of a KHO array page ------------------------------------------
//
// A page holds topology.objects_per_page record slots (the kernel's
// iommu_max_objs_per_page); a record past them is written beyond the page,
// which KASAN reports as slab-out-of-bounds and the kernel survives.

bool out_of_bounds(const impl::Oops& splat) {
  return splat.kind == impl::oops_kind::use_after_free &&
         splat.message.find("KASAN: slab-out-of-bounds") != std::string::npos;
}

// Three devices of one domain: their records fill a 2-slot device page and
// one more, the case the page-full test of alloc_object_ser exists for.
TEST(KhoCapacity, a_record_past_the_page_is_a_slab_out_of_bounds_write) {
  Kernel k("reference", devices_behind_one_iommu(3, 2), {}, impl::mutant::alloc_object_ser_off_by_one);
  k.preserve_file_and_domain();
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  EXPECT_TRUE(k.w().splats.empty());  // slots 0 and 1: inside the page

  EXPECT_EQ(k.preserve_device(0, 2), 0);  // KASAN reports the write and the kernel goes on

  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_TRUE(out_of_bounds(k.w().splats[0])) << k.w().splats[0].message;
  EXPECT_NE(k.w().splats[0].message.find("write"), std::string::npos) << k.w().splats[0].message;
  EXPECT_NE(k.w().splats[0].message.find("alloc_iommu_device_ser"), std::string::npos) << k.w().splats[0].message;
}

TEST(KhoCapacity, the_reference_chains_a_page_when_one_is_full) {
  for (int per_page : {1, 2, 3}) {
    Kernel k("reference", devices_behind_one_iommu(4, per_page));
    k.preserve_file_and_domain();
    for (int dev = 0; dev < 4; ++dev) ASSERT_EQ(k.preserve_device(0, dev), 0) << per_page;

    EXPECT_TRUE(k.w().splats.empty()) << per_page << ": " << k.w().splats[0].message;
    std::vector<impl::kho_page*> pages = k.chain(k.w().kho.pages[0].root.device_array);
    EXPECT_EQ(static_cast<int>(pages.size()), (4 + per_page - 1) / per_page) << per_page;
    for (const impl::kho_page* p : pages) EXPECT_LE(p->hdr.nr_objects, static_cast<impl::u32>(per_page)) << per_page;
  }
}

// A hand-over whose page counts more records than a page holds: the next
// kernel reads past the page (KASAN reports it) and restores only what the
// page holds; the rest is refused, which restore-matches sees.
TEST(KhoCapacity, the_next_kernel_reads_no_slot_past_the_page) {
  Kernel k("reference", devices_behind_one_iommu(2, 2));
  k.preserve_file_and_domain();
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  std::vector<impl::kho_page*> pages = k.chain(k.w().kho.pages[0].root.device_array);
  ASSERT_EQ(pages.size(), 1u);
  pages[0]->hdr.nr_objects = 3;  // a corrupt count: one record past the page's 2 slots

  impl::kexec(k.w());
  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_TRUE(out_of_bounds(k.w().splats[0])) << k.w().splats[0].message;
  EXPECT_NE(k.w().splats[0].message.find("read"), std::string::npos) << k.w().splats[0].message;
  EXPECT_EQ(r.devices.size(), 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("past the page"), std::string::npos) << r.errors[0];
}

// The Runner: each preserved device's record goes in the device array, so
// three devices fill a page of 2 and one more.
Scenario three_devices_in_one_domain(const std::string& variant, int per_page) {
  Scenario s;
  s.variant = variant;
  s.topology.objects_per_page = per_page;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 0},
                Call{CallKind::vfio_preserve, -1, 0, 1}, Call{CallKind::vfio_preserve, -1, 0, 2},
                Call{CallKind::vfio_unpreserve, -1, 0, 1}, Call{CallKind::iommufd_preserve, -1, 1, -1}}};
  return s;
}

TEST(KhoCapacity, runner_reports_the_off_by_one_as_no_use_after_free) {
  RunResult r = run(three_devices_in_one_domain("reference+mutant:alloc_object_ser_off_by_one", 2));

  ASSERT_TRUE(r.verdict.violation);
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_use_after_free) << r.verdict.violation->message;
  EXPECT_NE(r.verdict.violation->message.find("KASAN: slab-out-of-bounds"), std::string::npos)
      << r.verdict.violation->message;
}

TEST(KhoCapacity, runner_finds_no_out_of_bounds_in_the_reference) {
  for (int per_page : {1, 2, 3}) {
    RunResult r = run(three_devices_in_one_domain("reference", per_page));
    EXPECT_TRUE(r.verdict.ok()) << per_page << ": " << r.verdict.violation->message;
  }
}

TEST(Variants, shipped_rows_and_mutant_rows) {
  for (const char* shipped : {"v2-warn", "v3", "v4"}) ASSERT_NE(impl::find_variant(shipped), nullptr) << shipped;
  EXPECT_EQ(impl::find_variant("v9"), nullptr);

  const impl::variant_rules* m = impl::find_variant("v2+mutant:restore_deleted");
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(m->name, "v2+mutant:restore_deleted");
  EXPECT_EQ(m->mut, impl::mutant::restore_deleted);
  EXPECT_EQ(m->domain_counts_devices, impl::find_variant("v2")->domain_counts_devices);
  EXPECT_EQ(impl::find_variant("v2+mutant:restore_deleted"), m);  // made once, kept

  EXPECT_EQ(impl::find_variant("reference+mutant:none"), nullptr);
  EXPECT_EQ(impl::find_variant("reference+mutant:nonsense"), nullptr);
  EXPECT_EQ(impl::find_variant("v9+mutant:restore_deleted"), nullptr);
  for (int i = 0; i < impl::MUTANT_COUNT; ++i) {
    impl::mutant parsed{};
    ASSERT_TRUE(impl::mutant_parse(impl::mutant_name(static_cast<impl::mutant>(i)), parsed));
    EXPECT_EQ(static_cast<int>(parsed), i);
  }
}

}  // namespace
}  // namespace luv::test
