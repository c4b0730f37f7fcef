// iommu_domain_preserve and iommu_domain_unpreserve (patch 03), every branch
// under every shipped variant.
#include <gtest/gtest.h>

#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"

namespace luv::test {
namespace {

using impl::fault_site;
using impl::kho_page_kind;

class Domain : public VariantTest {};

TEST_P(Domain, preserve_allocates_a_record_and_a_driver_page) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.domain_preserve(0), 0);

  impl::iommu_domain& d = k.domain(0);
  ASSERT_TRUE(d.preserved_state);
  EXPECT_FALSE(d.preserved_state->hdr.deleted);
  EXPECT_EQ(d.preserved_state->hdr.ref_count, 1u);
  EXPECT_EQ(d.preserved_state->token, 0u);  // the mock driver writes the domain id
  ASSERT_TRUE(d.driver_page);
  EXPECT_TRUE(d.driver_page->preserved);
  EXPECT_EQ(d.preserved_state->driver_phys, d.driver_page->phys);
  EXPECT_EQ(d.preserved_state->page, k.flb()->curr_domain_array.get());
  EXPECT_EQ(k.live_records(kho_page_kind::domain_array), 1);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Domain, preserve_without_preserve_op_is_refused_silently) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL, DOMAIN_OP_UNPRESERVE));
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.domain_preserve(1), -EOPNOTSUPP);

  EXPECT_FALSE(k.domain(1).preserved_state);
  EXPECT_EQ(k.records(kho_page_kind::domain_array, false), 0);
  EXPECT_EQ(k.warnings(), 0);
}

// Rule 1: a domain driver without unpreserve is refused before anything is
// allocated; v3 on refuse it silently (their ops check asks for both ops
// first); v2 accepts it.
TEST_P(Domain, preserve_without_unpreserve_op) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE));
  ASSERT_EQ(k.preserve_file(0), 0);

  int ret = k.domain_preserve(1);

  if (rules().domain_needs_both_ops || rules().refuse_domain_without_unpreserve) {
    EXPECT_EQ(ret, -EOPNOTSUPP);
    if (rules().domain_needs_both_ops) {
      EXPECT_EQ(k.warnings(), 0);
    } else {
      ASSERT_EQ(k.warnings(), 1);
      EXPECT_EQ(k.warned_in(0), "iommu_domain_preserve");
    }
    EXPECT_FALSE(k.domain(1).preserved_state);
    EXPECT_EQ(k.records(kho_page_kind::domain_array, false), 0);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 0);
  } else {
    EXPECT_EQ(ret, 0);
    EXPECT_EQ(k.warnings(), 0);
    EXPECT_TRUE(k.domain(1).preserved_state);
  }
}

TEST_P(Domain, preserve_without_a_file) {
  Kernel k(GetParam());

  if (rules().hold_flb_reference) {
    EXPECT_EQ(k.domain_preserve(0), -ENOENT);
    EXPECT_EQ(k.pages_allocated(), 0);
  } else {
    // v2's get_outgoing hands back NULL and the core locks through it.
    EXPECT_EQ(oops_of([&] { k.domain_preserve(0); }), impl::oops_kind::null_deref);
  }
}

TEST_P(Domain, preserve_twice) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::kptr<impl::iommu_domain_ser> first = k.domain(0).preserved_state;

  int ret = k.domain_preserve(0);

  if (rules().refuse_repeated_domain_preserve) {
    EXPECT_EQ(ret, -EBUSY);
    EXPECT_EQ(k.domain(0).preserved_state, first);
    EXPECT_EQ(k.records(kho_page_kind::domain_array, false), 1);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 1);
  } else {
    // The second record replaces the first, which stays live with its
    // driver page: both leak.
    EXPECT_EQ(ret, 0);
    EXPECT_NE(k.domain(0).preserved_state, first);
    EXPECT_FALSE(first->hdr.deleted);
    EXPECT_EQ(k.live_records(kho_page_kind::domain_array), 2);
    EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 2);
  }
}

TEST_P(Domain, preserve_op_failure_deletes_the_record) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::op_domain_preserve, 1, 0}});
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.domain_preserve(0), -EIO);

  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_EQ(k.records(kho_page_kind::domain_array, false), 1);
  EXPECT_EQ(k.live_records(kho_page_kind::domain_array), 0);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 0);
  EXPECT_EQ(k.w().flb_cache.objects.front().lock.owner, -1);
}

TEST_P(Domain, preserve_driver_page_failure_deletes_the_record) {
  Kernel k(GetParam(), default_topology(), {Fault{fault_site::kho_driver_page, 1, 0}});
  ASSERT_EQ(k.preserve_file(0), 0);

  EXPECT_EQ(k.domain_preserve(0), -ENOMEM);

  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_FALSE(k.domain(0).driver_page);
  EXPECT_EQ(k.live_records(kho_page_kind::domain_array), 0);
  EXPECT_EQ(k.pages_preserved(kho_page_kind::driver_private), 0);
}

TEST_P(Domain, preserve_array_page_failure_allocates_nothing) {
  Kernel k(GetParam(), topology(1, {IOMMU_OPS_ALL}, {DOMAIN_OPS_ALL, DOMAIN_OPS_ALL}, {DeviceSpec{0}}),
           {Fault{fault_site::kho_array_page, 1, 0}});
  k.preserve_file_and_domain(0);
  impl::kho_page* head = k.flb()->curr_domain_array.get();

  EXPECT_EQ(k.domain_preserve(1), -ENOMEM);

  EXPECT_EQ(k.flb()->curr_domain_array.get(), head);
  EXPECT_EQ(head->hdr.next, 0u);
  EXPECT_EQ(head->hdr.nr_objects, 1u);
  EXPECT_FALSE(k.domain(1).preserved_state);
  // A retry chains the page the fault denied.
  EXPECT_EQ(k.domain_preserve(1), 0);
  EXPECT_EQ(k.chain(k.flb()->ser->root.domain_array).size(), 2u);
}

TEST_P(Domain, unpreserve_deletes_the_record_and_frees_the_driver_page) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  impl::kptr<impl::iommu_domain_ser> rec = k.domain(0).preserved_state;
  impl::kho_page* page = k.domain(0).driver_page.get();

  k.domain_unpreserve(0);

  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_TRUE(rec->hdr.deleted);
  EXPECT_FALSE(k.domain(0).driver_page);
  EXPECT_TRUE(page->freed);
  EXPECT_EQ(k.warnings(), 0);
  EXPECT_EQ(k.w().iommu_flb.users, 0);
}

TEST_P(Domain, unpreserve_of_an_unpreserved_domain) {
  Kernel k(GetParam());
  ASSERT_EQ(k.preserve_file(0), 0);

  k.domain_unpreserve(0);

  // Rule 3: a missing preserve is reported, and nothing changes either way.
  EXPECT_EQ(k.warnings(), rules().warn_unpreserve_unpreserved_domain ? 1 : 0);
  EXPECT_EQ(k.records(kho_page_kind::domain_array, false), 0);
  EXPECT_EQ(k.w().flb_cache.objects.front().lock.owner, -1);
}

// The FLB get fails with -ENOENT: v3 on WARN_ON it, earlier revisions return quietly.
TEST_P(Domain, unpreserve_without_a_file) {
  Kernel k(GetParam());

  if (rules().hold_flb_reference) {
    k.domain_unpreserve(0);
    ASSERT_EQ(k.warnings(), rules().warn_unpreserve_without_flb ? 1 : 0);
    if (rules().warn_unpreserve_without_flb) {
      EXPECT_EQ(k.warned_in(0), "iommu_domain_unpreserve");
    }
    EXPECT_EQ(k.w().iommu_flb.users, 0);
  } else {
    EXPECT_EQ(oops_of([&] { k.domain_unpreserve(0); }), impl::oops_kind::null_deref);
  }
}

// Rule 3: devices are still preserved against the domain.
TEST_P(Domain, unpreserve_with_a_device_attached) {
  Kernel k(GetParam());
  k.preserve_file_and_domain(0);
  ASSERT_EQ(k.preserve_device(0, 0), 0);
  impl::kptr<impl::iommu_domain_ser> rec = k.domain(0).preserved_state;

  k.domain_unpreserve(0);

  if (rules().refuse_unpreserve_busy_domain) {
    ASSERT_EQ(k.warnings(), 1);
    EXPECT_EQ(k.warned_in(0), "iommu_domain_unpreserve");
    EXPECT_EQ(k.domain(0).preserved_state, rec);
    EXPECT_FALSE(rec->hdr.deleted);
    EXPECT_EQ(rec->hdr.ref_count, 2u);
    EXPECT_TRUE(k.domain(0).driver_page);
  } else {
    // v2 unpreserves it under the device, whose record now points at a
    // deleted domain record.
    EXPECT_EQ(k.warnings(), 0);
    EXPECT_FALSE(k.domain(0).preserved_state);
    EXPECT_TRUE(rec->hdr.deleted);
    EXPECT_EQ(k.dev(0).iommu->device_ser->domain_iommu_ser.domain_phys, rec->phys);
  }
}

// v2 never refuses a domain driver without unpreserve, so it calls the
// absent op at unpreserve time; the others refused its preserve, and their
// unpreserve warns that the op is missing and returns.
TEST_P(Domain, unpreserve_without_unpreserve_op) {
  Kernel k(GetParam(), default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE));
  ASSERT_EQ(k.preserve_file(0), 0);
  if (rules().refuse_domain_without_unpreserve || rules().domain_needs_both_ops) {
    ASSERT_EQ(k.domain_preserve(1), -EOPNOTSUPP);
    int before = k.warnings();
    k.domain_unpreserve(1);
    ASSERT_EQ(k.warnings() - before, rules().warn_domain_unpreserve_without_op ? 1 : 0);
    if (rules().warn_domain_unpreserve_without_op) {
      EXPECT_EQ(k.warned_in(before), "iommu_domain_unpreserve");
    }
    return;
  }
  ASSERT_EQ(k.domain_preserve(1), 0);

  EXPECT_EQ(oops_of([&] { k.domain_unpreserve(1); }), impl::oops_kind::null_op);
}

LUV_INSTANTIATE_VARIANTS(Domain);

}  // namespace
}  // namespace luv::test
