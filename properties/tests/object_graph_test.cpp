// The object graph's page-chain checks: a cycle in an array's chain is
// dangling, a preserved core page the FLB cannot reach is an orphan. Each
// broken state is also judged by the incremental checks (graph_verdicts.h),
// which must say what the graph says, or (a cycle) leave it to the graph.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "impl/iommu_liveupdate.h"
#include "impl/liveupdate.h"
#include "impl/world.h"
#include "properties/graph_verdicts.h"
#include "properties/object_graph.h"

namespace luv {
namespace {

template <typename T>
T drive(impl::World& w, impl::task<T> t) {
  w.current = 0;
  std::coroutine_handle<> h = t.start_handle();
  for (int resumes = 0; !t.done() && resumes < 1000; ++resumes) {
    h.resume();
    if (!t.done()) h = w.threads[0].resume_at;
  }
  return t.result();
}

bool any_contains(const std::vector<std::string>& lines, const std::string& what) {
  for (const std::string& l : lines)
    if (l.find(what) != std::string::npos) return true;
  return false;
}

// One domain and three devices behind one IOMMU, one record per page: the
// device array is a chain of three pages.
class ObjectGraph : public ::testing::Test {
 protected:
  ObjectGraph() { build(); }
  // A fresh consistent state.
  void build() {
    chain.clear();
    Scenario s;
    s.topology.objects_per_page = 1;
    s.topology.iommus = {IommuSpec{}};
    s.topology.domains = {DomainSpec{}};
    s.topology.devices = {DeviceSpec{0}, DeviceSpec{0}, DeviceSpec{0}};
    s.threads = {{}};
    w = std::make_unique<impl::World>(s, *impl::find_variant("reference"));
    EXPECT_EQ(drive(*w, impl::liveupdate_preserve_file(*w, 0)), 0);
    EXPECT_EQ(drive(*w, impl::iommu_domain_preserve(*w, &w->domains[0])), 0);
    impl::u64 state = 0;
    for (impl::device& d : w->devices)
      EXPECT_EQ(drive(*w, impl::iommu_preserve_device(*w, &w->domains[0], &d, &state)), 0);
    for (impl::phys_addr_t p = w->iommu_flb.outgoing->ser->root.device_array; p != 0;) {
      chain.push_back(impl::kho_page_at(*w, p));
      p = chain.back()->hdr.next;
    }
  }
  GraphFindings findings() { return check_object_graph(build_object_graph(*w)); }
  // The incremental verdicts, checked against the graph's findings.
  GraphVerdicts verdicts() {
    Unfreed unfreed;
    unfreed.update(*w);
    GraphVerdicts v = GraphJudge().judge(*w, unfreed);
    EXPECT_EQ(disagreement(v, findings()), "");
    return v;
  }

  std::unique_ptr<impl::World> w;
  std::vector<impl::kho_page*> chain;
};

TEST_F(ObjectGraph, consistent_state_has_no_findings) {
  ASSERT_EQ(chain.size(), 3u);

  GraphFindings f = findings();

  EXPECT_TRUE(f.refcount.empty());
  EXPECT_TRUE(f.dangling.empty());
  EXPECT_TRUE(f.orphans.empty());
  EXPECT_FALSE(f.remaining.empty());  // things are preserved: not a leak, just not everything unpreserved
  GraphVerdicts v = verdicts();
  EXPECT_EQ(v.refcount, Tri::no);
  EXPECT_EQ(v.dangling, Tri::no);
  EXPECT_EQ(v.orphans, Tri::no);
  EXPECT_EQ(v.remaining, Tri::yes);
}

TEST_F(ObjectGraph, page_chain_cycle_is_dangling) {
  chain[2]->hdr.next = chain[0]->phys;

  GraphFindings f = findings();

  ASSERT_TRUE(any_contains(f.dangling, "page chain cycle")) << (f.dangling.empty() ? "" : f.dangling.front());
  EXPECT_TRUE(any_contains(f.dangling, "device array"));
  EXPECT_TRUE(f.orphans.empty());
  EXPECT_EQ(verdicts().dangling, Tri::unsure);  // a cycle: the graph's search order decides
}

TEST_F(ObjectGraph, unreachable_core_page_is_an_orphan) {
  // Cut the chain after its head: the middle page is still preserved, but
  // neither the root (through the head) nor the FLB's current page reaches it.
  chain[0]->hdr.next = 0;

  GraphFindings f = findings();

  ASSERT_EQ(f.orphans.size(), 1u);
  EXPECT_TRUE(any_contains(f.orphans, "not reachable from the FLB"));
  char phys[32];
  std::snprintf(phys, sizeof phys, "%#llx", static_cast<unsigned long long>(chain[1]->phys));
  EXPECT_TRUE(any_contains(f.orphans, phys)) << f.orphans.front();
  EXPECT_TRUE(f.dangling.empty());
  EXPECT_EQ(verdicts().orphans, Tri::yes);
}

TEST_F(ObjectGraph, orphan_driver_page_and_orphan_record) {
  w->devices[1].driver_page = nullptr;       // the driver forgets its page
  w->devices[2].iommu->device_ser = nullptr;  // the core forgets its record

  GraphFindings f = findings();

  EXPECT_TRUE(any_contains(f.orphans, "is preserved but no object's driver page"));
  EXPECT_TRUE(any_contains(f.orphans, "is live but no kernel object's preserved state"));
  EXPECT_EQ(verdicts().orphans, Tri::yes);
}

TEST_F(ObjectGraph, device_record_on_a_deleted_domain_record_is_dangling) {
  w->domains[0].preserved_state->hdr.deleted = true;

  GraphFindings f = findings();

  EXPECT_TRUE(any_contains(f.dangling, "domain_phys"));
  EXPECT_TRUE(any_contains(f.dangling, "flagged deleted"));
  EXPECT_EQ(verdicts().dangling, Tri::yes);
}

TEST_F(ObjectGraph, hw_record_refcount_mismatch) {
  w->iommus[0].outgoing_preserved_state->hdr.ref_count = 2;

  GraphFindings f = findings();

  ASSERT_FALSE(f.refcount.empty());
  EXPECT_TRUE(any_contains(f.refcount, "ref_count 2 but 3 live device record(s)"));
  EXPECT_EQ(verdicts().refcount, Tri::yes);
}

// Addresses that lead nowhere, to a page instead of a record, or to a slot
// past a page's count: the incremental checks resolve them as the graph does.
TEST_F(ObjectGraph, odd_addresses_are_judged_as_the_graph_judges_them) {
  auto dev0 = [&]() -> impl::iommu_obj_ser& { return *w->devices[0].iommu->device_ser.get(); };
  auto hw = [&]() -> impl::iommu_obj_ser& { return *w->iommus[0].outgoing_preserved_state.get(); };
  const std::vector<std::function<void()>> breaks = {
      [&] { dev0().domain_iommu_ser.iommu_phys = 0; },
      [&] { dev0().domain_iommu_ser.iommu_phys = hw().page->phys; },
      [&] { dev0().domain_iommu_ser.iommu_phys = hw().phys + impl::KHO_SLOT_SIZE; },
      [&] { dev0().domain_iommu_ser.domain_phys = dev0().phys; },
      [&] { dev0().driver_phys = chain[1]->phys; },
      [&] { hw().hdr.deleted = true; },
      [&] { hw().hdr.ref_count = 0; },
      [&] { w->iommus[0].outgoing_preserved_state = nullptr; },
      [&] { w->domains[0].preserved_state = w->iommus[0].outgoing_preserved_state; },
      [&] { chain[1]->freed = true; },
      [&] { chain[2]->hdr.nr_objects = 0; },
      [&] { w->iommu_flb.outgoing->curr_device_array = nullptr; },
  };
  for (size_t i = 0; i < breaks.size(); ++i) {
    SCOPED_TRACE(i);
    build();  // each break on a consistent state
    breaks[i]();
    verdicts();
  }
}

}  // namespace
}  // namespace luv
