// error-path-deleted's abstract state: the facts a failed call must leave
// unchanged. Files, the FLB, kernel objects' preserved state and driver
// pages, and live records with their links. Array pages are not in it: a
// chained page is an allocation detail, released with the FLB. Kept as
// numbers (the Runner takes them at every call start); turned into text only
// when a failed call changed them.
#pragma once
#include <compare>
#include <string>
#include <vector>

#include "linux/types.h"

namespace luv::impl {
struct World;
struct kho_page;
}

namespace luv {

class PageWatch;

struct Fact {
  enum kind_t : impl::u8 { file, flb_count, flb_object, object_state, driver_page, record } kind;
  impl::u8 sub;    // object_state: who and what (FactObject); record: the page kind
  int id;          // file, object
  impl::u64 a, b;  // phys, count, ref_count
  auto operator<=>(const Fact&) const = default;
};
enum FactObject : impl::u8 {
  iommu_outgoing, iommu_driver_page, domain_preserved, domain_driver_page, dev_device_ser, dev_driver_page
};

// The facts of w, sorted. `unfreed_pages`: the World's unfreed pages
// (Unfreed::pages(), properties/object_graph.h), the only ones with facts.
std::vector<Fact> abstract_facts(const impl::World& w, const std::vector<const impl::kho_page*>& unfreed_pages);
// The same facts from a PageWatch brought up to date for w: its live records
// are the records not flagged deleted on unfreed pages, its driver pages the
// unfreed ones, so the sorted facts are equal.
std::vector<Fact> abstract_facts(impl::World& w, const PageWatch& watch);

// What changed, as "was: ...; now: ..." in the order of the facts' text
// (empty: nothing).
std::string facts_diff(const std::vector<Fact>& before, const std::vector<Fact>& after);

}  // namespace luv
