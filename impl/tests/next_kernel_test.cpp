// kexec and the next kernel's restore: multi-page arrays with deleted
// records skipped, FLB retrieve failure, and each record the next kernel
// must refuse when the hand-over is corrupt.
#include <gtest/gtest.h>

#include "impl/hex.h"
#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"

namespace luv::test {
namespace {

using impl::fault_site;
using impl::kho_page_kind;
using impl::restored_device;

class NextKernel : public VariantTest {};

// Five devices, one or two records per page, two of them unpreserved: their
// records stay in the arrays, flagged deleted, and must not come back.
class Restore : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(Restore, multi_page_arrays_skip_deleted_records) {
  auto [variant, per_page] = GetParam();
  Kernel k(variant, devices_behind_one_iommu(5, per_page));
  k.preserve_file_and_domain(0);
  for (int d = 0; d < 5; ++d) ASSERT_EQ(k.preserve_device(0, d), 0);
  k.unpreserve_device(0, 1);
  k.unpreserve_device(0, 3);
  ASSERT_GE(k.chain(k.flb()->ser->root.device_array).size(), 3u);
  ASSERT_EQ(k.records(kho_page_kind::device_array, false), 5);

  impl::kexec(k.w());
  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.retrieve_err, 0);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.iommus, std::vector<int>{0});
  EXPECT_EQ(r.domains, std::vector<int>{0});
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}, {2, 0, 0}, {4, 0, 0}}));
  // The next kernel released every page it took over, and nothing else was left.
  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.w().iommu_flb.incoming, 0u);
}

INSTANTIATE_TEST_SUITE_P(PerPage, Restore,
                         ::testing::Combine(::testing::ValuesIn(shipped_names()), ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return test_name(std::get<0>(info.param)) + "_per_page_" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST_P(NextKernel, restore_of_two_iommus_and_two_domains) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.domain_preserve(1), 0);
  ASSERT_EQ(k.preserve_device(1, 0), 0);
  ASSERT_EQ(k.preserve_device(0, 2), 0);

  impl::kexec(k.w());
  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.iommus, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.domains, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 1, 0}, {2, 0, 1}}));
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST_P(NextKernel, kexec_keeps_exactly_the_preserved_pages) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::phys_addr_t root = k.flb()->ser->phys;
  impl::iommu_flb_obj* obj = k.flb().get();
  int preserved = k.pages_preserved();

  impl::kexec(k.w());

  EXPECT_TRUE(k.w().after_kexec);
  EXPECT_EQ(k.w().iommu_flb.incoming, root);
  EXPECT_TRUE(obj->freed);  // the old kernel's memory is gone
  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.w().iommu_flb.count, 0);
  EXPECT_FALSE(k.w().file_preserved[0]);
  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_FALSE(k.dev(0).iommu->device_ser);
  EXPECT_FALSE(k.dev(0).driver_page);
  EXPECT_FALSE(k.iommu(0).outgoing_preserved_state);
  EXPECT_EQ(k.pages_preserved(), preserved);
}

TEST_P(NextKernel, nothing_preserved_restores_nothing) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);
  ASSERT_EQ(k.unpreserve_file(0), 0);

  impl::kexec(k.w());
  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.retrieve_err, 0);
  EXPECT_TRUE(r.devices.empty() && r.domains.empty() && r.iommus.empty() && r.errors.empty());
  EXPECT_EQ(k.w().fault_visits[static_cast<int>(fault_site::flb_retrieve)], 0);
}

TEST_P(NextKernel, retrieve_failure_restores_nothing_and_releases_everything) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::flb_retrieve, 1, 0}});
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);

  impl::kexec(k.w());
  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.retrieve_err, -EIO);
  EXPECT_TRUE(r.devices.empty() && r.domains.empty() && r.iommus.empty());
  EXPECT_EQ(k.pages_preserved(), 0);
}

TEST_P(NextKernel, root_that_is_not_a_root_page_is_einval) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::phys_addr_t array = k.flb()->curr_domain_array->phys;
  impl::kexec(k.w());
  k.w().iommu_flb.incoming = array;

  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.retrieve_err, -EINVAL);
  EXPECT_TRUE(r.domains.empty());
  EXPECT_EQ(k.pages_preserved(), 0);
}

// Corrupt hand-overs: each refusal branch of the restore.
class Corrupt : public ::testing::Test {
 protected:
  Corrupt() : k("reference", devices_behind_one_iommu(3, 1)) {
    k.preserve_file_and_domain(0);
    for (int d = 0; d < 3; ++d) EXPECT_EQ(k.preserve_device(0, d), 0);
    device_pages = k.chain(k.flb()->ser->root.device_array);
    hw = k.iommu(0).outgoing_preserved_state.get();
    domain = k.domain(0).preserved_state.get();
    impl::kexec(k.w());
  }
  impl::next_kernel_result restore() { return impl::next_kernel_restore(k.w()); }
  static bool mentions(const impl::next_kernel_result& r, const std::string& what) {
    for (const std::string& e : r.errors)
      if (e.find(what) != std::string::npos) return true;
    return false;
  }

  Kernel k;
  std::vector<impl::kho_page*> device_pages;
  impl::iommu_obj_ser* hw = nullptr;
  impl::iommu_obj_ser* domain = nullptr;
};

TEST_F(Corrupt, chain_into_a_page_of_another_kind_is_broken) {
  device_pages[1]->hdr.next = domain->page->phys;  // the domain array

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "device array: broken page chain"));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}, {1, 0, 0}}));
}

TEST_F(Corrupt, chain_cycle_is_broken_not_endless) {
  device_pages[2]->hdr.next = device_pages[0]->phys;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "broken page chain"));
}

TEST_F(Corrupt, domain_record_with_unknown_id_is_refused) {
  domain->token = 7;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "cannot restore"));
  EXPECT_TRUE(mentions(r, "not restored"));
  EXPECT_TRUE(r.domains.empty());
  EXPECT_TRUE(r.devices.empty());
}

TEST_F(Corrupt, device_record_of_an_unknown_device_is_refused) {
  device_pages[1]->objects[0].devid = 99;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "no device 0x63"));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}, {2, 0, 0}}));
}

TEST_F(Corrupt, hw_record_without_its_driver_page_is_refused) {
  impl::kho_page_at(k.w(), hw->driver_phys)->preserved = false;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "iommu0: driver page"));
  EXPECT_TRUE(mentions(r, "not its unit's record"));
  EXPECT_TRUE(r.iommus.empty());
  EXPECT_TRUE(r.devices.empty());
}

TEST_F(Corrupt, device_record_without_its_driver_page_is_refused) {
  impl::kho_page_at(k.w(), device_pages[0]->objects[0].driver_phys)->preserved = false;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "not preserved"));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{1, 0, 0}, {2, 0, 0}}));
}

TEST_F(Corrupt, chain_into_no_page_is_broken) {
  device_pages[0]->hdr.next = 0x7fff000;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "device array: broken page chain"));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}}));
}

TEST_F(Corrupt, object_count_beyond_the_page_is_bounded) {
  device_pages[0]->hdr.nr_objects = 1000;

  impl::next_kernel_result r = restore();

  // The walk reads one slot past the page (KASAN reports it), refuses the
  // rest of the count and goes on with the next page.
  EXPECT_TRUE(mentions(r, "1000 records, past the page's 1 slots"));
  EXPECT_EQ(r.devices.size(), 3u);
  ASSERT_EQ(k.w().splats.size(), 1u);
  EXPECT_NE(k.w().splats[0].message.find("KASAN: slab-out-of-bounds"), std::string::npos);
}

TEST_F(Corrupt, domain_record_with_negative_id_is_refused) {
  domain->token = ~0ull;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(mentions(r, "cannot restore"));
  EXPECT_TRUE(r.domains.empty());
}

TEST_F(Corrupt, two_records_naming_one_driver_page_release_it_once) {
  device_pages[1]->objects[0].driver_phys = device_pages[0]->objects[0].driver_phys;

  impl::next_kernel_result r = restore();

  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.devices.size(), 3u);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);  // dev1's own page, now unclaimed
}

TEST(CorruptTwoIommus, device_record_naming_another_units_hw_record_is_refused) {
  Kernel k("reference");
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  k.dev(0).iommu->device_ser->domain_iommu_ser.iommu_phys = k.iommu(1).outgoing_preserved_state->phys;
  impl::kexec(k.w());

  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.iommus, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{1, 0, 1}}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("not its unit's record"), std::string::npos);
}

// restore_deleted: the next kernel walks deleted records too; their pages
// are gone, so it refuses them, which the reference never has to.
TEST(NextKernelMutant, restore_deleted_tries_deleted_records) {
  for (impl::mutant m : {impl::mutant::none, impl::mutant::restore_deleted}) {
    Kernel k("reference", default_topology(), {}, m);
    k.preserve_file_and_domain(0);
    ASSERT_EQ(k.preserve_device(0, 1), 0);
    ASSERT_EQ(k.preserve_device(0, 2), 0);
    k.unpreserve_device(0, 1);
    impl::kexec(k.w());

    impl::next_kernel_result r = impl::next_kernel_restore(k.w());

    EXPECT_EQ(r.devices, (std::vector<restored_device>{{2, 0, 1}}));
    EXPECT_EQ(r.errors.empty(), m == impl::mutant::none);
  }
}

// v4 (and the reference): the FLB preserve writes the layout's version into
// the root record; v2 and v3 leave the record without one.
TEST_P(NextKernel, flb_preserve_writes_the_version_from_v4_on) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.flb()->ser->root.version, rules().flb_versioned ? impl::IOMMU_LUO_FLB_VERSION : 0u);
}

// LUO's incoming side: with hold_incoming_flb each get takes a reference on
// the incoming FLB and each put drops it; before v4 a get takes none. Only
// the first get retrieves.
TEST_P(NextKernel, incoming_get_takes_a_reference_from_v4_on) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::phys_addr_t root = k.flb()->ser->phys;
  impl::kexec(k.w());
  impl::liveupdate_flb* flb = &k.w().iommu_flb;

  impl::kho_page* obj = nullptr;
  ASSERT_EQ(impl::liveupdate_flb_get_incoming(k.w(), flb, &obj), 0);
  ASSERT_EQ(impl::liveupdate_flb_get_incoming(k.w(), flb, &obj), 0);
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->phys, root);
  EXPECT_EQ(k.w().fault_visits[static_cast<int>(fault_site::flb_retrieve)], 1);
  EXPECT_EQ(flb->incoming_users, rules().hold_incoming_flb ? 2 : 0);
  if (rules().hold_incoming_flb) {
    impl::liveupdate_flb_put_incoming(k.w(), flb);
    impl::liveupdate_flb_put_incoming(k.w(), flb);
    EXPECT_EQ(flb->incoming_users, 0);
  }
}

TEST_P(NextKernel, incoming_get_without_a_hand_over_is_enodata) {
  Kernel k(GetParam());
  impl::kexec(k.w());
  impl::kho_page* obj = nullptr;

  EXPECT_EQ(impl::liveupdate_flb_get_incoming(k.w(), &k.w().iommu_flb, &obj), -ENODATA);
  EXPECT_EQ(k.w().iommu_flb.incoming_users, 0);
}

// The restore's walks hold the incoming FLB and drop it again: the count is
// back to 0 when the restore finishes, so LUO ran the FLB's finish and no
// page is left preserved; what is restored is what it always was.
TEST_P(NextKernel, restore_drops_every_incoming_reference_it_took) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kexec(k.w());

  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_FALSE(r.panicked);
  EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}}));
  EXPECT_EQ(k.w().iommu_flb.incoming_users, 0);
  EXPECT_EQ(k.w().iommu_flb.incoming_obj, nullptr);
  EXPECT_EQ(k.pages_preserved(), 0);
}

// A root record of another version: v4's next kernel panics (luv: an error
// of the restore, nothing restored, every handed-over page released); v2 and
// v3 do not read a version and restore as before.
TEST_P(NextKernel, version_mismatch_is_a_panic_from_v4_on) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kho_page* root = k.flb()->ser.get();
  impl::kexec(k.w());
  root->root.version = 7;

  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.retrieve_err, 0);
  EXPECT_EQ(k.pages_preserved(), 0);
  if (rules().flb_versioned) {
    EXPECT_TRUE(r.panicked);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "FLB root " + impl::hex(root->phys) + ": version 7, expected 1: panic");
    EXPECT_TRUE(r.devices.empty() && r.domains.empty() && r.iommus.empty());
  } else {
    EXPECT_FALSE(r.panicked);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}}));
  }
}

// A root naming no device array: v4 panics as for a version mismatch.
TEST_P(NextKernel, root_without_an_array_is_a_panic_from_v4_on) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::kho_page* root = k.flb()->ser.get();
  impl::kexec(k.w());
  root->root.device_array = 0;

  impl::next_kernel_result r = impl::next_kernel_restore(k.w());

  EXPECT_EQ(r.panicked, rules().flb_versioned);
  if (rules().flb_versioned) {
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("an array address of 0: panic"), std::string::npos) << r.errors[0];
    EXPECT_TRUE(r.domains.empty());
  } else {
    EXPECT_EQ(r.domains, std::vector<int>{0});
  }
}

LUV_INSTANTIATE_VARIANTS(NextKernel);

// flb_version_unset: the FLB preserve forgets the version, so every
// restore of v4's next kernel panics, whatever was preserved.
TEST(NextKernelMutant, flb_version_unset_makes_every_restore_panic) {
  for (impl::mutant m : {impl::mutant::none, impl::mutant::flb_version_unset}) {
    Kernel k("v4", default_topology(), {}, m);
    k.preserve_file_and_domain(0);
    ASSERT_EQ(k.preserve_device(0, 0), 0);
    EXPECT_EQ(k.flb()->ser->root.version, m == impl::mutant::none ? impl::IOMMU_LUO_FLB_VERSION : 0u);
    impl::kexec(k.w());

    impl::next_kernel_result r = impl::next_kernel_restore(k.w());

    EXPECT_EQ(r.panicked, m != impl::mutant::none);
    EXPECT_EQ(r.devices.empty(), m != impl::mutant::none);
    if (m != impl::mutant::none) {
      ASSERT_EQ(r.errors.size(), 1u);
      EXPECT_NE(r.errors[0].find("version 0, expected 1: panic"), std::string::npos) << r.errors[0];
    }
  }
}

// skip_put_incoming: the device walk keeps its reference, so LUO never runs
// the FLB's finish: the root and the array pages stay preserved after the
// restore (the drivers still release theirs), and the restore itself is right.
TEST(NextKernelMutant, skip_put_incoming_leaves_the_flb_pages_preserved) {
  for (impl::mutant m : {impl::mutant::none, impl::mutant::skip_put_incoming}) {
    Kernel k("reference", default_topology(), {}, m);
    k.preserve_file_and_domain(0);
    ASSERT_EQ(k.preserve_device(0, 0), 0);
    impl::kexec(k.w());

    impl::next_kernel_result r = impl::next_kernel_restore(k.w());

    bool mutated = m != impl::mutant::none;
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.devices, (std::vector<restored_device>{{0, 0, 0}}));
    EXPECT_EQ(k.w().iommu_flb.incoming_users, mutated ? 1 : 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::ser_root), mutated ? 1 : 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::device_array), mutated ? 1 : 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::iommu_array), mutated ? 1 : 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::domain_array), mutated ? 1 : 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 0);
  }
}

}  // namespace
}  // namespace luv::test
