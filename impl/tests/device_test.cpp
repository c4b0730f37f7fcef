// iommu_preserve_device, iommu_unpreserve_device, iommu_preserve_locked and
// iommu_unpreserve_locked (patch 04), every branch under every shipped
// variant; the shared HW record's reference count; the mock drivers' pages.
#include <gtest/gtest.h>

#include "impl/mock_driver.h"
#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"

namespace luv::test {
namespace {

using impl::fault_site;
using impl::kho_page_kind;

class Device : public VariantTest {};

// ---- iommu_preserve_device --------------------------------------------------------

TEST_P(Device, preserve_fills_the_record_and_the_drivers_pages) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::u64 state = 0;

  ASSERT_EQ(k.preserve_device(0, 1, &state), 0);

  impl::kptr<impl::iommu_device_ser> rec = k.dev(1).iommu->device_ser;
  impl::kptr<impl::iommu_hw_ser> hw = k.iommu(1).outgoing_preserved_state;
  ASSERT_TRUE(rec);
  ASSERT_TRUE(hw);
  EXPECT_EQ(state, rec->phys);
  EXPECT_EQ(rec->hdr.ref_count, 1u);
  EXPECT_EQ(rec->domain_iommu_ser.domain_phys, k.domain(0).preserved_state->phys);
  EXPECT_EQ(rec->domain_iommu_ser.iommu_phys, hw->phys);
  EXPECT_EQ(rec->devid, 2u);  // dev1's PCI id
  EXPECT_EQ(rec->pci_domain_nr, 0u);
  EXPECT_EQ(hw->hdr.ref_count, 1u);
  // The mock drivers: the HW record carries the unit's token, and each
  // record names the private page its driver preserved.
  EXPECT_EQ(hw->token, impl::iommu_token(&k.iommu(1)));
  EXPECT_EQ(hw->token, 0x101u);
  ASSERT_TRUE(k.iommu(1).driver_page);
  EXPECT_EQ(hw->driver_phys, k.iommu(1).driver_page->phys);
  ASSERT_TRUE(k.dev(1).driver_page);
  EXPECT_EQ(rec->driver_phys, k.dev(1).driver_page->phys);
  EXPECT_EQ(k.dev(1).driver_page->kind, kho_page_kind::driver_private);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 3);  // domain, IOMMU, device
  // Rule 3's bookkeeping: the domain record counts its devices.
  EXPECT_EQ(k.domain(0).preserved_state->hdr.ref_count, rules().domain_counts_devices ? 2u : 1u);
  EXPECT_EQ(k.warnings(), 0);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
  EXPECT_EQ(k.flb()->lock.owner, -1);
}

TEST_P(Device, preserve_of_a_non_pci_device_is_refused) {
  // Behind an IOMMU lacking unpreserve too: dev_is_pci comes first, silently.
  Topology t = default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_PRESERVE_DEVICE);
  t.devices[1].pci = false;
  Kernel k(GetParam(), t);
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 1), -EOPNOTSUPP);

  EXPECT_FALSE(k.dev(1).iommu->device_ser);
  EXPECT_EQ(k.records(kho_page_kind::device_array, false), 0);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Device, preserve_against_an_unpreserved_domain_is_einval) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.preserve_device(0, 0), -EINVAL);

  EXPECT_EQ(k.records(kho_page_kind::device_array, false), 0);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
}

TEST_P(Device, preserve_without_dma_owner_is_einval) {
  Topology t = default_topology();
  t.devices[0].dma_owner = false;
  Kernel k(GetParam(), t);
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 0), -EINVAL);

  EXPECT_EQ(k.records(kho_page_kind::device_array, false), 0);
}

// Each missing driver op; rule 1 refuses (with a warning) the ones whose
// twin is missing, and v2 accepts those.
struct MissingOp {
  const char* name;
  impl::u8 ops;
  bool lacks_twin;  // a preserve op without its unpreserve twin
};

class DeviceMissingOp : public ::testing::TestWithParam<std::tuple<const char*, MissingOp>> {};

TEST_P(DeviceMissingOp, preserve) {
  auto [variant, m] = GetParam();
  const impl::variant_rules& rules = *impl::find_variant(variant);
  Kernel k(variant, default_topology(m.ops));
  k.preserve_file_and_domain(0);

  int ret = k.preserve_device(0, 1);

  if (!m.lacks_twin) {
    EXPECT_EQ(ret, -EOPNOTSUPP);
    EXPECT_EQ(k.warnings(), 0);
  } else if (rules.refuse_device_without_unpreserve) {
    EXPECT_EQ(ret, -EOPNOTSUPP);
    ASSERT_EQ(k.warnings(), 1);
    EXPECT_EQ(k.warned_in(0), "iommu_preserve_device");
  } else if (rules.device_needs_four_ops) {
    // v3 on: the ops check after the DMA-owner check asks for all four, silently.
    EXPECT_EQ(ret, -EOPNOTSUPP);
    EXPECT_EQ(k.warnings(), 0);
  } else {
    EXPECT_EQ(ret, 0);
    EXPECT_EQ(k.warnings(), 0);
  }
  if (ret != 0) {
    EXPECT_EQ(k.records(kho_page_kind::device_array, false), 0);
    EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);  // the domain's
  }
}

INSTANTIATE_TEST_SUITE_P(
    EachOp, DeviceMissingOp,
    ::testing::Combine(
        ::testing::ValuesIn(shipped_names()),
        ::testing::Values(MissingOp{"no_ops", 0, false},
                          MissingOp{"no_preserve", IOMMU_OPS_ALL & ~IOMMU_OP_PRESERVE, false},
                          MissingOp{"no_preserve_device", IOMMU_OPS_ALL & ~IOMMU_OP_PRESERVE_DEVICE, false},
                          MissingOp{"no_unpreserve", IOMMU_OPS_ALL & ~IOMMU_OP_UNPRESERVE, true},
                          MissingOp{"no_unpreserve_device", IOMMU_OPS_ALL & ~IOMMU_OP_UNPRESERVE_DEVICE, true})),
    [](const auto& info) { return test_name(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name; });

TEST_P(Device, preserve_after_the_flb_is_gone) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.unpreserve_file(0), 0);

  if (rules().flb_teardown_unpreserves && !rules().domain_checked_under_lock_only) {
    // The teardown unpreserved the domain (rule 5), so the call stops early.
    EXPECT_EQ(k.preserve_device(0, 0), -EINVAL);
  } else if (rules().hold_flb_reference) {
    // v4 reads the domain under the FLB's lock only, and there is no FLB to get.
    EXPECT_EQ(k.preserve_device(0, 0), -ENOENT);
    EXPECT_EQ(k.records(kho_page_kind::device_array, false), 0);
  } else {
    // v2: domain->preserved_state still points into the freed arrays, and
    // get_outgoing hands back NULL, which the core then locks.
    EXPECT_EQ(oops_of([&] { k.preserve_device(0, 0); }), impl::oops_kind::null_deref);
  }
}

TEST_P(Device, preserve_twice) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kptr<impl::iommu_device_ser> first = k.dev(0).iommu->device_ser;
  impl::kho_page* first_page = k.dev(0).driver_page.get();

  int ret = k.preserve_device(0, 0);

  if (rules().refuse_repeated_device_preserve) {
    EXPECT_EQ(ret, -EBUSY);
    EXPECT_EQ(k.dev(0).iommu->device_ser, first);
    EXPECT_EQ(k.records(kho_page_kind::device_array, false), 1);
    EXPECT_EQ(k.iommu(0).outgoing_preserved_state->hdr.ref_count, 1u);
  } else {
    // A second record and a second HW reference; the first record and its
    // driver page stay preserved, owned by nothing.
    EXPECT_EQ(ret, 0);
    EXPECT_NE(k.dev(0).iommu->device_ser, first);
    EXPECT_FALSE(first->hdr.deleted);
    EXPECT_EQ(k.iommu(0).outgoing_preserved_state->hdr.ref_count, 2u);
    EXPECT_NE(k.dev(0).driver_page.get(), first_page);
    EXPECT_TRUE(first_page->preserved);
  }
}

// Rule 3's -EBUSY, and the mutants on v4's lines around it.
TEST(DeviceMutant, busy_device_einval_refuses_a_repeated_preserve_with_einval) {
  Kernel k("v4", default_topology(), {}, impl::mutant::busy_device_einval);
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);

  EXPECT_EQ(k.preserve_device(0, 0), -EINVAL);
}

TEST(DeviceMutant, skip_put_on_busy_keeps_the_flb_reference) {
  Kernel k("v4", default_topology(), {}, impl::mutant::skip_put_on_busy);
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);

  EXPECT_EQ(k.preserve_device(0, 0), -EBUSY);
  EXPECT_EQ(k.w().iommu_flb.users, 1);
}

// ---- v4: a device in a shared IOMMU group (refuse_non_singleton_group) --------------

// dev0 alone on IOMMU 0; dev1 and dev2 on IOMMU 1 share dev1's group.
Topology dev2_joins_dev1s_group() {
  Topology t = default_topology();
  t.devices[2].group = 1;
  return t;
}

// v4 publishes the record once the driver's op succeeded, then finds the
// group shared and undoes it all; the others preserve the device.
TEST_P(Device, preserve_in_a_shared_group) {
  Kernel k(GetParam(), dev2_joins_dev1s_group());
  k.preserve_file_and_domain(0);

  int ret = k.preserve_device(0, 1);

  if (!rules().refuse_non_singleton_group) {
    EXPECT_EQ(ret, 0);
    EXPECT_TRUE(k.dev(1).iommu->device_ser);
    return;
  }
  EXPECT_EQ(ret, -EOPNOTSUPP);
  ASSERT_EQ(k.records(kho_page_kind::device_array, false), 1);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);  // flagged deleted
  EXPECT_FALSE(k.dev(1).iommu->device_ser);
  EXPECT_FALSE(k.dev(1).driver_page);  // the driver's unpreserve_device ran
  // It was the IOMMU's first device: its HW record is deleted, its page released.
  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 0);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);  // the domain's
  EXPECT_EQ(k.domain(0).preserved_state->hdr.ref_count, 1u);
  EXPECT_EQ(k.warnings(), 0);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
  EXPECT_EQ(k.flb()->lock.owner, -1);
}

TEST_P(Device, preserve_in_a_shared_group_gives_back_its_hw_reference) {
  // dev0 alone and dev1 (with dev2) in a group, all behind IOMMU 0.
  Topology t = devices_behind_one_iommu(3, 2);
  t.devices[2].group = 1;
  Kernel k(GetParam(), t);
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kptr<impl::iommu_hw_ser> hw = k.iommu(0).outgoing_preserved_state;

  int ret = k.preserve_device(0, 1);

  EXPECT_EQ(ret, rules().refuse_non_singleton_group ? -EOPNOTSUPP : 0);
  EXPECT_EQ(k.iommu(0).outgoing_preserved_state, hw);
  EXPECT_FALSE(hw->hdr.deleted);
  EXPECT_EQ(hw->hdr.ref_count, ret == 0 ? 2u : 1u);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), ret == 0 ? 2 : 1);
}

// Each mutant of the rollback leaves the trace its name says.
TEST(DeviceMutant, singleton_rollback_mutants_on_v4) {
  auto preserve_dev1 = [](impl::mutant m) {
    auto k = std::make_unique<Kernel>("v4", dev2_joins_dev1s_group(), std::vector<Fault>{}, m);
    k->preserve_file_and_domain(0);
    k->preserve_device(0, 1);
    return k;
  };
  auto keep = preserve_dev1(impl::mutant::singleton_keep_device_ser);
  ASSERT_TRUE(keep->dev(1).iommu->device_ser);  // points at a deleted record
  EXPECT_TRUE(keep->dev(1).iommu->device_ser->hdr.deleted);

  auto skip = preserve_dev1(impl::mutant::singleton_skip_unpreserve_device);
  ASSERT_TRUE(skip->dev(1).driver_page);
  EXPECT_TRUE(skip->dev(1).driver_page->preserved);

  auto accept = preserve_dev1(impl::mutant::accept_shared_group);
  EXPECT_TRUE(accept->dev(1).iommu->device_ser);
  EXPECT_EQ(accept->live_records(kho_page_kind::device_array), 1);
}

// ---- faults inside iommu_preserve_device ---------------------------------------------

TEST_P(Device, preserve_device_array_page_failure_allocates_nothing) {
  Kernel k(GetParam(), devices_behind_one_iommu(2, 1), {Fault{fault_site::kho_array_page, 1, 0}});
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kho_page* head = k.flb()->curr_device_array.get();

  EXPECT_EQ(k.preserve_device(0, 1), -ENOMEM);

  EXPECT_EQ(k.flb()->curr_device_array.get(), head);
  EXPECT_EQ(head->hdr.next, 0u);
  EXPECT_EQ(k.records(kho_page_kind::device_array, false), 1);
  EXPECT_FALSE(k.dev(1).iommu->device_ser);
  EXPECT_EQ(k.iommu(0).outgoing_preserved_state->hdr.ref_count, 1u);
  EXPECT_EQ(k.flb()->lock.owner, -1);
}

TEST_P(Device, preserve_hw_array_page_failure_deletes_the_device_record) {
  // One object per page: dev1's device record chains page #1 of
  // kho_array_page, its IOMMU's HW record needs page #2, which fails.
  Kernel k(GetParam(), []{ Topology t = default_topology(); t.objects_per_page = 1; return t; }(),
           {Fault{fault_site::kho_array_page, 2, 0}});
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);

  EXPECT_EQ(k.preserve_device(0, 1), -ENOMEM);

  ASSERT_EQ(k.w().faults_fired.size(), 1u);
  EXPECT_EQ(k.records(kho_page_kind::device_array, false), 2);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 1);
  EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 1);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_FALSE(k.dev(1).iommu->device_ser);
}

TEST_P(Device, preserve_iommu_op_failure_deletes_both_records) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::op_iommu_preserve, 1, 0}});
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 1), -EIO);

  EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 1);
  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 0);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_FALSE(k.iommu(1).driver_page);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);
}

TEST_P(Device, preserve_iommu_driver_page_failure_deletes_both_records) {
  // Driver page #1 is the domain's, #2 the IOMMU's.
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::kho_driver_page, 2, 0}});
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 1), -ENOMEM);

  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 0);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);
}

TEST_P(Device, preserve_device_op_failure_unpreserves_the_new_hw_record) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::op_preserve_device, 1, 0}});
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 1), -EIO);

  // iommu_unpreserve_locked dropped the only reference: record deleted,
  // the driver's page released.
  EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 1);
  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 0);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_FALSE(k.iommu(1).driver_page);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);
  EXPECT_EQ(k.domain(0).preserved_state->hdr.ref_count, 1u);
}

TEST_P(Device, preserve_device_op_failure_keeps_a_shared_hw_record) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::op_preserve_device, 2, 0}});
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  impl::kptr<impl::iommu_hw_ser> hw = k.iommu(1).outgoing_preserved_state;

  EXPECT_EQ(k.preserve_device(0, 2), -EIO);

  EXPECT_EQ(k.iommu(1).outgoing_preserved_state, hw);
  EXPECT_EQ(hw->hdr.ref_count, 1u);
  EXPECT_FALSE(hw->hdr.deleted);
  EXPECT_TRUE(k.iommu(1).driver_page);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 1);
}

TEST_P(Device, preserve_device_driver_page_failure_deletes_both_records) {
  // Driver pages: #1 domain, #2 IOMMU, #3 the device's context table.
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::kho_driver_page, 3, 0}});
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 0), -ENOMEM);

  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 0);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);
  EXPECT_FALSE(k.dev(0).driver_page);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);
}

// ---- iommu_preserve_locked / iommu_unpreserve_locked: the shared HW record --------

TEST_P(Device, devices_behind_one_iommu_share_a_counted_hw_record) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  impl::kptr<impl::iommu_hw_ser> hw = k.iommu(1).outgoing_preserved_state;
  impl::kho_page* iommu_page = k.iommu(1).driver_page.get();

  ASSERT_EQ(k.preserve_device(0, 2), 0);
  EXPECT_EQ(k.iommu(1).outgoing_preserved_state, hw);
  EXPECT_EQ(hw->hdr.ref_count, 2u);
  EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 1);
  EXPECT_EQ(k.dev(2).iommu->device_ser->domain_iommu_ser.iommu_phys, hw->phys);

  k.unpreserve_device(0, 1);
  EXPECT_EQ(hw->hdr.ref_count, 1u);
  EXPECT_FALSE(hw->hdr.deleted);
  EXPECT_EQ(k.iommu(1).outgoing_preserved_state, hw);
  EXPECT_TRUE(iommu_page->preserved);

  k.unpreserve_device(0, 2);
  EXPECT_EQ(hw->hdr.ref_count, 0u);
  EXPECT_TRUE(hw->hdr.deleted);
  EXPECT_FALSE(k.iommu(1).outgoing_preserved_state);
  EXPECT_TRUE(iommu_page->freed);
  EXPECT_EQ(k.warnings(), 0);
}

TEST(DeviceMutant, skip_refcount_get_leaves_the_shared_record_undercounted) {
  Kernel k("reference", default_topology(), {}, impl::mutant::skip_refcount_get);
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  ASSERT_EQ(k.preserve_device(0, 2), 0);
  impl::kptr<impl::iommu_hw_ser> hw = k.iommu(1).outgoing_preserved_state;

  EXPECT_EQ(hw->hdr.ref_count, 1u);
  k.unpreserve_device(0, 1);
  // dev2's record still points at it.
  EXPECT_TRUE(hw->hdr.deleted);
  EXPECT_FALSE(k.dev(2).iommu->device_ser->hdr.deleted);
}

TEST(DeviceMutant, keep_error_record_live_leaves_the_failed_hw_record_live) {
  Kernel k("reference", default_topology(), {Fault{fault_site::op_iommu_preserve, 1, 0}},
           impl::mutant::keep_error_record_live);
  k.preserve_file_and_domain(0);

  EXPECT_EQ(k.preserve_device(0, 1), -EIO);

  EXPECT_EQ(k.live_records(kho_page_kind::iommu_array), 1);
  EXPECT_EQ(k.live_records(kho_page_kind::device_array), 0);
}

// ---- page chaining in alloc_object_ser ---------------------------------------------

class Chaining : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(Chaining, five_device_records_chain_pages_in_order) {
  auto [variant, per_page] = GetParam();
  const int n = 5;
  Kernel k(variant, devices_behind_one_iommu(n, per_page));
  k.preserve_file_and_domain(0);

  for (int d = 0; d < n; ++d) ASSERT_EQ(k.preserve_device(0, d), 0) << "dev" << d;

  std::vector<impl::kho_page*> pages = k.chain(k.flb()->ser->root.device_array);
  const size_t want_pages = static_cast<size_t>((n + per_page - 1) / per_page);
  ASSERT_EQ(pages.size(), want_pages);
  EXPECT_EQ(pages.back(), k.flb()->curr_device_array.get());
  EXPECT_EQ(k.w().fault_visits[static_cast<int>(fault_site::kho_array_page)], static_cast<int>(want_pages) - 1);
  int d = 0;
  for (size_t p = 0; p < pages.size(); ++p) {
    EXPECT_EQ(pages[p]->kind, kho_page_kind::device_array);
    EXPECT_TRUE(pages[p]->preserved);
    int expect_on_page = std::min(per_page, n - static_cast<int>(p) * per_page);
    ASSERT_EQ(static_cast<int>(pages[p]->hdr.nr_objects), expect_on_page);
    for (int i = 0; i < expect_on_page; ++i, ++d) {
      EXPECT_EQ(k.dev(d).iommu->device_ser.get(), &pages[p]->objects[i]);
      EXPECT_EQ(pages[p]->objects[i].devid, d + 1);
    }
  }
  EXPECT_EQ(d, n);
  // One HW record, shared by all five.
  EXPECT_EQ(k.records(kho_page_kind::iommu_array, false), 1);
  EXPECT_EQ(k.iommu(0).outgoing_preserved_state->hdr.ref_count, static_cast<impl::u32>(n));
}

INSTANTIATE_TEST_SUITE_P(PerPage, Chaining,
                         ::testing::Combine(::testing::ValuesIn(shipped_names()), ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return test_name(std::get<0>(info.param)) + "_per_page_" +
                                  std::to_string(std::get<1>(info.param));
                         });

// ---- iommu_unpreserve_device ----------------------------------------------------------

TEST_P(Device, unpreserve_releases_the_record_and_the_drivers_pages) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kptr<impl::iommu_device_ser> rec = k.dev(0).iommu->device_ser;
  impl::kho_page* page = k.dev(0).driver_page.get();

  k.unpreserve_device(0, 0);

  EXPECT_TRUE(rec->hdr.deleted);
  EXPECT_FALSE(k.dev(0).iommu->device_ser);
  EXPECT_FALSE(k.dev(0).driver_page);
  EXPECT_TRUE(page->freed);
  EXPECT_FALSE(k.iommu(0).outgoing_preserved_state);
  EXPECT_EQ(k.domain(0).preserved_state->hdr.ref_count, 1u);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);  // the domain's
  EXPECT_EQ(k.warnings(), 0);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
  EXPECT_EQ(k.flb()->lock.owner, -1);
}

TEST_P(Device, unpreserve_of_a_non_pci_device_returns_early) {
  Topology t = default_topology();
  t.devices[0].pci = false;
  Kernel k(GetParam(), t);

  k.unpreserve_device(0, 0);  // no FLB either: it must not get that far

  EXPECT_EQ(k.warnings(), 0);
}

// VFIO gives the device's DMA ownership back between its preserve and its
// unpreserve. Every posted revision then returns before the driver: the
// record and the driver's page stay for the next kernel. Rule 6: the
// reference unpreserves all the same.
TEST_P(Device, unpreserve_after_the_owner_is_released) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  EXPECT_EQ(k.invoke(Call{CallKind::iommu_device_release_dma_owner, -1, -1, 0}), 0);
  ASSERT_FALSE(impl::iommu_group_dma_owner_claimed(k.dev(0).iommu_group));

  k.unpreserve_device(0, 0);

  EXPECT_EQ(k.warnings(), 0);
  if (k.w().rules.unpreserve_ignores_owner) {
    EXPECT_FALSE(k.dev(0).iommu->device_ser);
    EXPECT_FALSE(k.dev(0).driver_page);
  } else {
    ASSERT_TRUE(k.dev(0).iommu->device_ser);
    EXPECT_FALSE(k.dev(0).iommu->device_ser->hdr.deleted);
    EXPECT_TRUE(k.dev(0).driver_page);
  }
}

// A new device joins the group of a preserved device. Every posted revision
// lets it in (the preserved DMA context is then shared); rule 6 refuses it
// until the device is unpreserved. Once in, the v4 and reference preserve
// refuses the device (its group is no longer a singleton).
TEST_P(Device, a_device_joining_the_group_of_a_preserved_device) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  bool rule6 = k.w().rules.refuse_growth_of_preserved_group;

  EXPECT_EQ(k.invoke(Call{CallKind::iommu_group_add_device, -1, -1, 0}), rule6 ? -EBUSY : 0);
  EXPECT_EQ(impl::iommu_group_is_singleton(k.dev(0).iommu_group), rule6);

  k.unpreserve_device(0, 0);
  EXPECT_EQ(k.invoke(Call{CallKind::iommu_group_add_device, -1, -1, 0}), 0);
  EXPECT_FALSE(impl::iommu_group_is_singleton(k.dev(0).iommu_group));
  EXPECT_EQ(k.preserve_device(0, 0), k.w().rules.refuse_non_singleton_group ? -EOPNOTSUPP : 0);
}

// A group stays owned while one of its devices holds a claim; a device
// whose group is not owned cannot be preserved (-EINVAL), in every variant.
TEST_P(Device, a_group_is_owned_while_one_claim_is_held) {
  Topology t = default_topology();
  t.devices[2].group = 1;  // devices 1 and 2: one group behind IOMMU 1
  Kernel k(GetParam(), t);
  k.preserve_file_and_domain(0);
  k.invoke(Call{CallKind::iommu_device_release_dma_owner, -1, -1, 1});
  EXPECT_TRUE(impl::iommu_group_dma_owner_claimed(k.dev(1).iommu_group));
  k.invoke(Call{CallKind::iommu_device_release_dma_owner, -1, -1, 1});  // no claim left to give: a no-op
  EXPECT_TRUE(impl::iommu_group_dma_owner_claimed(k.dev(1).iommu_group));
  k.invoke(Call{CallKind::iommu_device_release_dma_owner, -1, -1, 2});
  EXPECT_FALSE(impl::iommu_group_dma_owner_claimed(k.dev(1).iommu_group));

  k.invoke(Call{CallKind::iommu_device_release_dma_owner, -1, -1, 0});
  EXPECT_EQ(k.preserve_device(0, 0), -EINVAL);
  EXPECT_FALSE(k.dev(0).iommu->device_ser);
}

// The review's point: v2 returns silently, v2-warn (and the reference) warn,
// once per call site (WARN_ON_ONCE); v3 on warn on every call (WARN_ON).
TEST_P(Device, unpreserve_without_unpreserve_op) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL & ~IOMMU_OP_UNPRESERVE));
  k.preserve_file_and_domain(0);
  int ret = k.preserve_device(0, 1);
  int warnings_before = k.warnings();

  k.unpreserve_device(0, 1);
  k.unpreserve_device(0, 1);

  int per_call = rules().warn_missing_unpreserve ? 1 : 0;
  EXPECT_EQ(k.warnings() - warnings_before, rules().warn_on_every_call ? 2 * per_call : per_call);
  if (rules().warn_missing_unpreserve) {
    EXPECT_EQ(k.warned_in(warnings_before), "iommu_unpreserve_device");
  }
  // Whatever was preserved stays preserved.
  EXPECT_EQ(bool(k.dev(1).iommu->device_ser), ret == 0);
}

TEST_P(Device, unpreserve_without_unpreserve_device_op) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL & ~IOMMU_OP_UNPRESERVE_DEVICE));
  k.preserve_file_and_domain(0);
  int ret = k.preserve_device(0, 1);
  int warnings_before = k.warnings();

  k.unpreserve_device(0, 1);

  EXPECT_EQ(k.warnings() - warnings_before, rules().warn_missing_unpreserve ? 1 : 0);
  EXPECT_EQ(bool(k.dev(1).iommu->device_ser), ret == 0);
}

// The FLB get fails with -ENOENT: v3 on WARN_ON it, earlier revisions return quietly.
// WARN_ON against WARN_ON_ONCE: two unpreserves through a driver lacking
// unpreserve_device warn twice from v3 on, once before.
TEST_P(Device, unpreserve_without_unpreserve_device_op_twice) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL & ~IOMMU_OP_UNPRESERVE_DEVICE));
  k.preserve_file_and_domain(0);
  k.preserve_device(0, 1);
  int warnings_before = k.warnings();

  k.unpreserve_device(0, 1);
  k.unpreserve_device(0, 1);

  int per_call = rules().warn_missing_unpreserve ? 1 : 0;
  ASSERT_EQ(k.warnings() - warnings_before, rules().warn_on_every_call ? 2 * per_call : per_call);
  for (int i = warnings_before; i < k.warnings(); ++i) EXPECT_EQ(k.warned_in(i), "iommu_unpreserve_device");
}

// iommu_unpreserve_locked's guards (v3 on): a missing HW record is reached
// only through a broken refcount (the mutant skip_refcount_get: dev1's put
// drops the record dev2 still counts on). Guarded, it warns and returns;
// unguarded, the put dereferences NULL. (Its other guard, missing ops, is
// unreachable from the entry points: iommu_unpreserve_device checks the ops
// first, and no HW record exists without them.)
TEST_P(Device, unpreserve_after_the_hw_record_is_gone) {
  Kernel k(GetParam(), default_topology(), {}, impl::mutant::skip_refcount_get);
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);
  ASSERT_EQ(k.preserve_device(0, 2), 0);
  k.unpreserve_device(0, 1);
  ASSERT_FALSE(k.iommu(1).outgoing_preserved_state);
  int warnings_before = k.warnings();

  if (rules().guard_unpreserve_locked) {
    k.unpreserve_device(0, 2);
    ASSERT_EQ(k.warnings() - warnings_before, 1);
    EXPECT_EQ(k.warned_in(warnings_before), "iommu_unpreserve_locked");
    EXPECT_FALSE(k.dev(2).iommu->device_ser);
    EXPECT_EQ(k.flb()->lock.owner, -1);
  } else {
    EXPECT_EQ(oops_of([&] { k.unpreserve_device(0, 2); }), impl::oops_kind::null_deref);
  }
}

TEST_P(Device, unpreserve_without_a_file) {
  Kernel k(GetParam());

  if (rules().hold_flb_reference) {
    k.unpreserve_device(0, 0);
    ASSERT_EQ(k.warnings(), rules().warn_unpreserve_without_flb ? 1 : 0);
    if (rules().warn_unpreserve_without_flb) {
      EXPECT_EQ(k.warned_in(0), "iommu_unpreserve_device");
    }
    EXPECT_EQ(k.w().iommu_flb.users, 0);
  } else {
    EXPECT_EQ(oops_of([&] { k.unpreserve_device(0, 0); }), impl::oops_kind::null_deref);
  }
}

TEST_P(Device, unpreserve_of_an_unpreserved_device) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);

  if (rules().warn_unpreserve_unpreserved_device) {
    k.unpreserve_device(0, 0);
    ASSERT_EQ(k.warnings(), 1);
    EXPECT_EQ(k.warned_in(0), "iommu_unpreserve_device");
    EXPECT_EQ(k.flb()->lock.owner, -1);
  } else {
    // v2 flags the NULL device_ser deleted.
    EXPECT_EQ(oops_of([&] { k.unpreserve_device(0, 0); }), impl::oops_kind::null_deref);
  }
}

TEST_P(Device, unpreserve_against_another_domain) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.domain_preserve(1), 0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);

  k.unpreserve_device(1, 0);

  if (rules().refuse_unpreserve_other_domain) {
    EXPECT_EQ(k.warnings(), 1);
    EXPECT_TRUE(k.dev(0).iommu->device_ser);
    EXPECT_EQ(k.domain(0).preserved_state->hdr.ref_count, 2u);
    EXPECT_EQ(k.domain(1).preserved_state->hdr.ref_count, 1u);
  } else {
    EXPECT_EQ(k.warnings(), 0);
    EXPECT_FALSE(k.dev(0).iommu->device_ser);
  }
}

// ---- teardown (rule 5) --------------------------------------------------------------

TEST_P(Device, last_file_teardown_with_live_records) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  ASSERT_EQ(k.preserve_device(0, 1), 0);  // dev2 and domain 1 stay unpreserved: skipped

  ASSERT_EQ(k.unpreserve_file(0), 0);

  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.pages_preserved(kho_page_kind::ser_root), 0);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::device_array), 0);
  if (rules().flb_teardown_unpreserves) {
    // Released loudly: one warning, every record deleted, every page gone.
    ASSERT_EQ(k.warnings(), 1);
    EXPECT_EQ(k.warned_in(0), "iommu_release_all");
    EXPECT_EQ(k.pages_preserved(), 0);
    for (int d = 0; d < 3; ++d) EXPECT_FALSE(k.dev(d).iommu->device_ser);
    for (int d = 0; d < 2; ++d) EXPECT_TRUE(k.dev(d).driver_page.get() == nullptr);
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(k.iommu(i).outgoing_preserved_state);
    EXPECT_FALSE(k.domain(0).preserved_state);
    for (const impl::kho_page& p : k.w().kho.pages)
      for (impl::u32 i = 0; i < p.hdr.nr_objects; ++i) EXPECT_TRUE(p.objects[i].hdr.deleted);
  } else {
    // v2: the arrays are freed under live kernel state; the drivers' pages
    // (domain, 2 IOMMUs, 2 devices) stay preserved with nothing to free them.
    EXPECT_EQ(k.warnings(), 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 5);
    EXPECT_TRUE(k.dev(0).iommu->device_ser);
    EXPECT_TRUE(k.dev(0).iommu->device_ser.get()->kfreed());
  }
}

TEST_P(Device, last_file_teardown_with_only_a_domain) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(1);

  ASSERT_EQ(k.unpreserve_file(0), 0);

  EXPECT_EQ(k.warnings(), rules().flb_teardown_unpreserves ? 1 : 0);
  EXPECT_EQ(k.pages_preserved(), rules().flb_teardown_unpreserves ? 0 : 1);
  EXPECT_EQ(bool(k.domain(1).preserved_state), !rules().flb_teardown_unpreserves);
}

LUV_INSTANTIATE_VARIANTS(Device);

}  // namespace
}  // namespace luv::test
