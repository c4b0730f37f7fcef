// The object graph of one kernel state: kernel objects, the FLB object, KHO
// pages and serialized records as typed vertices; pointers and physical
// addresses as edges. The reference properties (refcount-balanced,
// no-dangling, no-leak) are read off this graph, and `luv graph` draws it.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "impl/shim/step_reads.h"
#include "linux/kexec_handover.h"
#include "linux/types.h"

namespace luv::impl {
struct World;
struct iommu_flb_obj;
}

namespace luv {

enum class VertexKind : unsigned char { flb, page, record, iommu, domain, device, nowhere };
enum class RecordKind : unsigned char { hw, domain, device, none };

struct GraphVertex {
  VertexKind kind = VertexKind::nowhere;
  std::string label;            // "iommu1", "page 0x3000 (device array)", "device record 0x3080"
  impl::phys_addr_t phys = 0;   // pages and records
  impl::kho_page_kind page_kind = impl::kho_page_kind::driver_private;
  RecordKind record_kind = RecordKind::none;
  int id = -1;                  // kernel objects: their index
  int iommu = -1;               // devices: the IOMMU they sit behind
  bool freed = false;           // page or FLB object freed (a record: its page freed)
  bool deleted = false;         // record flagged deleted
  impl::u32 ref_count = 0;      // records
  impl::u64 token = 0;          // HW and domain records
};

enum class EdgeKind : unsigned char {
  holds,          // FLB object -> root page / current array page
  array_head,     // root page -> first page of an array
  next_page,      // array page -> next page
  contains,       // array page -> record
  domain_phys,    // device record -> domain record
  iommu_phys,     // device record -> HW record
  driver_phys,    // record -> the driver's private page
  preserved,      // kernel object -> its record (outgoing_preserved_state, preserved_state, device_ser)
  driver_page,    // kernel object -> its driver's private page
};

struct GraphEdge {
  EdgeKind kind = EdgeKind::holds;
};

using ObjectGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, GraphVertex, GraphEdge>;
using Vertex = ObjectGraph::vertex_descriptor;

const char* edge_kind_name(EdgeKind kind);

// Every page, record and object the World ever had, freed ones included
// (what `luv graph` draws).
ObjectGraph build_object_graph(const impl::World& w);

// The pages and FLB objects of a World not yet freed, kept up to date at a
// cost that grows with what was allocated or freed since the last update,
// not with the run's history: the World keeps every page and FLB object it
// ever allocated, in allocation order, and a freed one stays in place,
// poisoned, never reused, never unfreed. Checks made at every quiescent point
// read these instead of walking the whole history each time.
class Unfreed {
 public:
  void update(const impl::World& w);
  void update_flb_objects(const impl::World& w);  // the FLB objects only: pages() may be stale
  const std::vector<const impl::kho_page*>& pages() const { return pages_; }  // in allocation order
  const std::vector<const impl::iommu_flb_obj*>& flb_objects() const { return flb_objects_; }

 private:
  size_t pages_seen_ = 0, flb_objects_seen_ = 0;
  std::vector<const impl::kho_page*> pages_;
  std::vector<const impl::iommu_flb_obj*> flb_objects_;
};

// The part of build_object_graph(w) that check_object_graph() can read: the
// unfreed pages and FLB objects, the kernel objects, and the freed pages that
// some edge of those leads to (with their own edges, followed on). The
// findings are those of the whole graph, in the same order: a freed page or
// FLB object that nothing left points at is never a finding's subject and
// lies on no path the checks follow. `unfreed` must be up to date for w.
ObjectGraph build_judged_graph(const impl::World& w, const Unfreed& unfreed);

// A live record: in use, not flagged deleted, its page not freed.
bool is_live_record(const GraphVertex& v);

// Findings on a graph, one line each, in a fixed order (deterministic).
struct GraphFindings {
  std::vector<std::string> refcount;   // refcount-balanced
  std::vector<std::string> dangling;   // no-dangling
  std::vector<std::string> orphans;    // no-leak at any quiescent point: preserved but owned by nothing
  std::vector<std::string> remaining;  // no-leak once everything is unpreserved: anything still there
};
GraphFindings check_object_graph(const ObjectGraph& g);

}  // namespace luv

namespace luv {

// Which kinds of finding check_object_graph(build_judged_graph(w, ...)) may
// have: false only when it has none of that kind (remaining: none once
// everything is unpreserved). True asks for the whole graph.
struct PossibleFindings {
  bool refcount = true, dangling = true, orphans = true, remaining = true;
};

// What the object-graph checks read of the World's pages, kept up to date
// from the pages each step touched, so that a check at a quiescent point
// costs what changed since the last one, not the run's history (a run that
// keeps its FLB keeps every record it ever allocated). Sound because impl/
// writes a page or a record only through a kptr it dereferences, and every
// dereference is a read_event at the object (impl/shim/step_reads.h); a page
// allocated is seen by the arena's growth. It decides only that a kind of
// finding is impossible: the live records and driver pages, which any
// finding but a cycle or an unreachable page must involve, are few; page
// chains are summarised by each page's predecessors, and a cycle is looked
// for from every link that changed. Anything it does not follow (a link to
// a page a record should not name, a walk that meets a root page) makes it
// say "possible", and the Runner builds the graph as before.
class PageWatch {
 public:
  void touched(const std::vector<impl::read_event>& events);  // one step's
  void update(const impl::World& w);
  // update(w) first; `flb_objects`: the unfreed ones (Unfreed, up to date).
  PossibleFindings possible(const impl::World& w, const std::vector<const impl::iommu_flb_obj*>& flb_objects) const;
  // Records not flagged deleted on unfreed pages, and unfreed driver pages.
  const std::set<impl::phys_addr_t>& live_records() const { return live_; }
  const std::set<impl::phys_addr_t>& live_driver_pages() const { return live_driver_pages_; }

 private:
  struct page_summary {
    bool counted = false;  // unfreed when summarised
    bool odd = false;      // has a link the watch does not follow
    impl::kho_page_kind kind = impl::kho_page_kind::driver_private;
    impl::phys_addr_t next = 0;             // counted in preds_ (unfreed core pages only)
    std::array<impl::phys_addr_t, 4> links{};  // next and a root's array heads, as last seen
    unsigned live_mask = 0;
  };
  void forget(size_t index, const impl::World& w);
  void summarise(size_t index, const impl::World& w);
  bool walk_finds_cycle(const impl::World& w, size_t from, impl::phys_addr_t start) const;
  void set_preds(impl::phys_addr_t phys, int delta, const impl::World& w);

  std::vector<page_summary> pages_;
  std::map<std::uintptr_t, size_t> by_address_;  // a page object's address -> its index
  std::vector<size_t> dirty_;
  std::vector<bool> is_dirty_;
  std::set<impl::phys_addr_t> live_, live_driver_pages_;
  size_t unfreed_pages_ = 0;
  std::map<impl::phys_addr_t, int> preds_;  // core page -> unfreed core pages whose next names it
  std::set<impl::phys_addr_t> no_pred_;     // unfreed core pages that no unfreed core page's next names
  int odd_ = 0;
  bool cycle_ = false;  // sticky: a walk met a cycle or a root page
};

}  // namespace luv
