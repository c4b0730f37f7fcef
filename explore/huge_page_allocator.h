// An allocator for the explorer's large tables (the visited set's slots),
// which asks the kernel to back them with 2 MiB pages.
//
// Why: a visited-set probe lands on a random slot of a table of tens of
// megabytes, so with 4 KiB pages nearly every probe also misses the TLB and
// walks the page tables (1.16x on one op-set choice's search of 2 M
// states; bench/RESULTS.md, fourteenth session). Where transparent huge
// pages are off, madvise() fails and the table is an ordinary one.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace luv::explorer {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t HUGE_PAGE = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes < HUGE_PAGE) return static_cast<T*>(::operator new(bytes));
    bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;  // aligned_alloc wants a multiple
    void* p = std::aligned_alloc(HUGE_PAGE, bytes);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: a failure leaves small pages
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < HUGE_PAGE) ::operator delete(p);
    else std::free(p);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

}  // namespace luv::explorer
