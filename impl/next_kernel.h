// kexec and the next kernel's side: retrieve the FLB (v4: check its version),
// walk the arrays skipping deleted records (v4: each walk holding the
// incoming FLB), look up IOMMU HW records by token, restore each device with
// its domain, then finish and release the handed-over pages.
#pragma once
#include <string>
#include <vector>

#include "linux/types.h"

namespace luv::impl {
struct World;

struct restored_device {
  int device;
  int domain;
  int iommu;
  bool operator==(const restored_device&) const = default;
};

struct next_kernel_result {
  int retrieve_err = 0;                  // the FLB retrieve's errno, 0 when it worked
  std::vector<int> iommus;               // restored IOMMU units, by id
  std::vector<int> domains;              // restored domains, by id
  std::vector<restored_device> devices;  // restored devices in array order
  std::vector<std::string> errors;       // records the next kernel refused, and why
  bool panicked = false;                 // v4's FLB checks failed: the next kernel stopped (an error above)
};

// Drops every page not preserved, resets the kernel objects, and hands the
// FLB's root page (if any) to the next kernel.
void kexec(World& w);
next_kernel_result next_kernel_restore(World& w);
}  // namespace luv::impl
