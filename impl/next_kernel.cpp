// kexec, and the next kernel's restore.
#include "impl/next_kernel.h"

#include <algorithm>
#include <map>

#include "impl/hex.h"
#include "impl/mock_driver.h"
#include "impl/mutants.h"
#include "impl/world.h"
#include "linux/errno.h"

namespace luv::impl {

void kexec(World& w) {
  liveupdate_flb* flb = &w.iommu_flb;
  flb->incoming = flb->outgoing ? flb->outgoing->ser->phys : 0;

  // The old kernel's memory is gone; KHO keeps exactly the preserved pages.
  for (iommu_flb_obj& obj : w.flb_cache.objects) obj.kpoison();
  flb->outgoing = nullptr;
  flb->count = 0;
  flb->users = 0;
  w.file_preserved.assign(w.file_preserved.size(), false);
  for (iommu_device& iommu : w.iommus) {
    iommu.outgoing_preserved_state = nullptr;
    iommu.driver_page = nullptr;
  }
  for (iommu_domain& domain : w.domains) {
    domain.preserved_state = nullptr;
    domain.driver_page = nullptr;
  }
  for (device& dev : w.devices) {
    dev.iommu->device_ser = nullptr;
    dev.driver_page = nullptr;
  }
  w.after_kexec = true;
}

namespace {

// The next kernel walks what KHO handed over; every page it reads must be a
// preserved page of the expected kind, or the hand-over is corrupt.
struct incoming_state {
  World& w;
  next_kernel_result& result;
  std::vector<kho_page*> core_pages;
  std::vector<kho_page*> claimed_driver_pages;
  kho_page* root = nullptr;  // the FLB object, once retrieved

  // iommu_liveupdate_flb_get_incoming(): LUO's get (the first one retrieves
  // the FLB), then, from v4 on, the root record's checks under the object's
  // lock (one thread runs here: luv does not model that lock). A failed check
  // is v4's panic(): luv reports it as an error of the restore and the next
  // kernel stops there. False when the walk cannot go on.
  bool get_incoming() {
    kho_page* obj = nullptr;
    if (int ret = liveupdate_flb_get_incoming(w, &w.iommu_flb, &obj)) {
      result.retrieve_err = ret;
      return false;
    }
    if (root == nullptr) {
      root = obj;
      core_pages.push_back(root);
    }
    std::string why;
    if (flb_version_mismatch(w, obj->root))
      why = "version " + std::to_string(obj->root.version) + ", expected " + std::to_string(IOMMU_LUO_FLB_VERSION);
    else if (flb_array_missing(w, obj->root))
      why = "an array address of 0";
    if (why.empty()) return true;
    result.errors.push_back("FLB root " + hex(obj->phys) + ": " + why + ": panic");
    result.panicked = true;
    return false;
  }

  // One walk of an array from the root, holding the incoming FLB for its
  // length as v4's walks do (iommu_get_preserved_data: the IOMMU array;
  // iommu_for_each_preserved_device: the device array; luv walks the domain
  // array the same way). luv walks each array once and looks every IOMMU's
  // token up in what it took, where the kernel walks once per IOMMU: the
  // references held are the same at the end. `puts` is the walk's
  // liveupdate_flb_put_incoming() (v4; before it nothing was taken).
  bool walk(phys_addr_t iommu_ser::*head, kho_page_kind kind, std::vector<iommu_obj_ser*>& records, bool puts) {
    if (!get_incoming()) return false;
    records = live_records(root->root.*head, kind);
    if (puts) liveupdate_flb_put_incoming(w, &w.iommu_flb);
    return true;
  }

  kho_page* page(phys_addr_t phys, kho_page_kind kind) {
    kho_page* p = kho_page_at(w, phys);
    if (p == nullptr || !p->preserved || p->kind != kind) return nullptr;
    return p;
  }

  // The live records of one array, following its page chain.
  std::vector<iommu_obj_ser*> live_records(phys_addr_t head, kho_page_kind kind) {
    std::vector<iommu_obj_ser*> records;
    int pages_seen = 0;
    for (phys_addr_t phys = head; phys != 0;) {
      kho_page* p = page(phys, kind);
      // A page seen before closes a cycle: stop there, or its records would
      // be restored (and the page freed) twice.
      bool seen = std::find(core_pages.begin(), core_pages.end(), p) != core_pages.end();
      if (p == nullptr || seen || ++pages_seen > static_cast<int>(w.kho.pages.size())) {
        result.errors.push_back(std::string(kho_page_kind_name(kind)) + ": broken page chain");
        break;
      }
      core_pages.push_back(p);
      take_records(p, records);
      phys = p->hdr.next;
    }
    return records;
  }

  // The page's records, as many as its header counts. This kernel's own
  // iommu_max_objs_per_page bounds them: a count past it makes the walk read
  // beyond the page, which KASAN reports; what lies there is no record of
  // this page, so the walk refuses it and stops.
  void take_records(kho_page* p, std::vector<iommu_obj_ser*>& records) {
    const u32 capacity = static_cast<u32>(w.objs_per_page());
    for (u32 i = 0; i < p->hdr.nr_objects; ++i) {
      kptr<iommu_obj_ser> obj = kho_array_slot(w, kptr<kho_page>(p), i, kho_access::read);
      if (i >= capacity) {
        result.errors.push_back(std::string(kho_page_kind_name(p->kind)) + " page " + hex(p->phys) + ": " +
                                std::to_string(p->hdr.nr_objects) + " records, past the page's " +
                                std::to_string(capacity) + " slots");
        return;
      }
      if (!obj->hdr.deleted || w.rules.mut == mutant::restore_deleted) records.push_back(obj.get());
    }
  }

  // A driver takes its private page back; false when it is not there.
  bool claim_driver_page(phys_addr_t phys) {
    kho_page* p = page(phys, kho_page_kind::driver_private);
    if (p == nullptr) return false;
    if (std::find(claimed_driver_pages.begin(), claimed_driver_pages.end(), p) == claimed_driver_pages.end())
      claimed_driver_pages.push_back(p);
    return true;
  }
};

// Each IOMMU unit probes and looks its record up by token: record -> unit.
std::map<phys_addr_t, int> restore_iommus(incoming_state& in, const std::vector<iommu_obj_ser*>& hw) {
  std::map<phys_addr_t, int> iommu_of_record;
  for (const iommu_device& iommu : in.w.iommus) {
    for (iommu_obj_ser* rec : hw) {
      if (rec->token != iommu_token(&iommu)) continue;
      if (!in.claim_driver_page(rec->driver_phys)) {
        in.result.errors.push_back("iommu" + std::to_string(iommu.id) + ": driver page " + hex(rec->driver_phys) +
                                   " not preserved");
        continue;
      }
      iommu_of_record[rec->phys] = iommu.id;
      in.result.iommus.push_back(iommu.id);
      break;
    }
  }
  return iommu_of_record;
}

// iommufd restores every preserved domain: record -> domain.
std::map<phys_addr_t, int> restore_domains(incoming_state& in, const std::vector<iommu_obj_ser*>& domains) {
  std::map<phys_addr_t, int> domain_of_record;
  for (iommu_obj_ser* rec : domains) {
    int id = static_cast<int>(rec->token);
    if (id < 0 || id >= static_cast<int>(in.w.domains.size()) || !in.claim_driver_page(rec->driver_phys)) {
      in.result.errors.push_back("domain record " + hex(rec->phys) + ": cannot restore");
      continue;
    }
    domain_of_record[rec->phys] = id;
    in.result.domains.push_back(id);
  }
  return domain_of_record;
}

// Each preserved device, with the domain and IOMMU its record names.
void restore_devices(incoming_state& in, const std::vector<iommu_obj_ser*>& devices,
                     const std::map<phys_addr_t, int>& domain_of_record,
                     const std::map<phys_addr_t, int>& iommu_of_record) {
  for (iommu_obj_ser* rec : devices) {
    const device* dev = nullptr;
    for (const device& d : in.w.devices)
      if (d.pdev.devfn_id == rec->devid) dev = &d;
    std::string name = "device record " + hex(rec->phys);
    if (dev == nullptr) {
      in.result.errors.push_back(name + ": no device " + hex(rec->devid));
      continue;
    }
    auto domain = domain_of_record.find(rec->domain_iommu_ser.domain_phys);
    auto iommu = iommu_of_record.find(rec->domain_iommu_ser.iommu_phys);
    if (domain == domain_of_record.end()) {
      in.result.errors.push_back(name + ": domain " + hex(rec->domain_iommu_ser.domain_phys) + " not restored");
      continue;
    }
    if (iommu == iommu_of_record.end() || iommu->second != dev->iommu->iommu_dev->id) {
      in.result.errors.push_back(name + ": IOMMU " + hex(rec->domain_iommu_ser.iommu_phys) +
                                 " not its unit's record");
      continue;
    }
    if (!in.claim_driver_page(rec->driver_phys)) {
      in.result.errors.push_back(name + ": driver page " + hex(rec->driver_phys) + " not preserved");
      continue;
    }
    in.result.devices.push_back({dev->id, domain->second, iommu->second});
  }
}

}  // namespace

next_kernel_result next_kernel_restore(World& w) {
  next_kernel_result result;
  liveupdate_flb* flb = &w.iommu_flb;
  if (flb->incoming == 0)
    return result;  // nothing was preserved

  incoming_state in{w, result, {}, {}};
  std::vector<iommu_obj_ser*> hw, domains, devices;
  bool walked = in.walk(&iommu_ser::iommu_array, kho_page_kind::iommu_array, hw, walk_holds_incoming(w)) &&
                in.walk(&iommu_ser::domain_array, kho_page_kind::domain_array, domains, walk_holds_incoming(w)) &&
                in.walk(&iommu_ser::device_array, kho_page_kind::device_array, devices, device_walk_puts_incoming(w));
  if (walked) {
    std::map<phys_addr_t, int> iommu_of_record = restore_iommus(in, hw);
    std::map<phys_addr_t, int> domain_of_record = restore_domains(in, domains);
    restore_devices(in, devices, domain_of_record, iommu_of_record);
  }

  // Finish: the drivers release the pages they took over, and LUO runs the
  // FLB's finish (the root and every array page) once no reference holds
  // the incoming FLB (hold_incoming_flb; before v4 there is none). A
  // retrieve that failed, or a panic, releases everything KHO handed over,
  // as KHO does with pages nobody claims (a panicked kernel reboots; the
  // panic is the restore's error, judged once). Any page still preserved
  // after this is a leak.
  if (!walked) {
    for (kho_page& p : w.kho.pages)
      if (p.preserved) kho_unpreserve_free(w, kptr<kho_page>(&p));
  } else {
    if (flb->incoming_users == 0)
      for (kho_page* p : in.core_pages) kho_unpreserve_free(w, kptr<kho_page>(p));
    for (kho_page* p : in.claimed_driver_pages) kho_unpreserve_free(w, kptr<kho_page>(p));
  }
  flb->incoming = 0;
  if (flb->incoming_users == 0) flb->incoming_obj = nullptr;
  return result;
}

}  // namespace luv::impl
