// The arena of arena.h and the replaced allocation functions that draw from
// it. Blocks are size-classed (16-byte steps to 1 KiB, quarters of a power
// of two to 64 KiB, then powers of two) with a free list per class, so a
// run that frees as much as it allocates (frames, vectors growing) keeps its
// state small: a snapshot copies the region up to its top.
#include "impl/shim/arena.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace luv::impl::arena {

namespace {
thread_local constinit Arena* tl_current = nullptr;
thread_local constinit bool tl_active = false;

// 64 + 24 + 34 free lists: the header every snapshot copies stays under
// 1 KiB. A snapshot copies a block's unused tail too, so the classes of the
// few large blocks (the Runner's 2 KiB) grow by quarters, not doublings.
constexpr std::size_t GRAIN = 16, SMALL_CLASSES = 64, QUARTER_CLASSES = 24, POWER_CLASSES = 34;
constexpr std::size_t CLASSES = SMALL_CLASSES + QUARTER_CLASSES + POWER_CLASSES;
constexpr std::size_t BLOCK_HEADER = 16;  // keeps every payload 16-byte aligned
constexpr std::size_t SMALL_MAX = SMALL_CLASSES * GRAIN;
constexpr std::size_t QUARTER_MAX = SMALL_MAX << (QUARTER_CLASSES / 4);  // 64 KiB

// Quarter class q (0..23): the power of two SMALL_MAX << q / 4 and q % 4 + 1
// quarters of it.
std::size_t quarter_payload(std::size_t q) { return (SMALL_MAX << q / 4) / 4 * (4 + q % 4 + 1); }

std::size_t class_of(std::size_t size) {
  if (size <= SMALL_MAX) return (size + GRAIN - 1) / GRAIN - (size ? 1 : 0);
  if (size <= QUARTER_MAX) {
    std::size_t q = 0;
    while (quarter_payload(q) < size) ++q;
    return SMALL_CLASSES + q;
  }
  std::size_t c = SMALL_CLASSES + QUARTER_CLASSES, payload = QUARTER_MAX * 2;
  while (payload < size) payload *= 2, ++c;
  return c;
}
std::size_t payload_of(std::size_t c) {
  if (c < SMALL_CLASSES) return (c + 1) * GRAIN;
  if (c < SMALL_CLASSES + QUARTER_CLASSES) return quarter_payload(c - SMALL_CLASSES);
  return QUARTER_MAX << (c - SMALL_CLASSES - QUARTER_CLASSES + 1);
}
std::size_t round_up(std::size_t n) { return (n + GRAIN - 1) / GRAIN * GRAIN; }
}  // namespace

// At the region's start, so that a restore brings the allocator back too.
struct Arena::Header {
  std::size_t top;  // offset of the first byte never handed out
  void* free[CLASSES];
};

#if defined(__SANITIZE_ADDRESS__)
bool supported() { return false; }
#else
bool supported() { return true; }
#endif

Arena::Arena(std::size_t capacity) {
  void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<unsigned char*>(p);
  end_ = base_ + capacity;
  Header& h = header();
  h.top = round_up(sizeof(Header));
  for (void*& f : h.free) f = nullptr;
}

Arena::~Arena() { munmap(base_, static_cast<std::size_t>(end_ - base_)); }

Arena::Header& Arena::header() const { return *reinterpret_cast<Header*>(base_); }

std::size_t Arena::used() const { return header().top; }

std::shared_ptr<const Snapshot> Arena::save() const {
  outside malloc_here;
  auto s = std::make_shared<Snapshot>();
  s->size_ = used();
  s->data_.reset(new unsigned char[s->size_]);
  std::memcpy(s->data_.get(), base_, s->size_);
  return s;
}

void Arena::restore(const Snapshot& s) { std::memcpy(base_, s.data_.get(), s.size_); }

void* Arena::allocate(std::size_t size) {
  std::size_t c = class_of(size);
  if (c >= CLASSES) throw std::bad_alloc();  // past 2^50 bytes: more than any arena holds
  Header& h = header();
  if (void* p = h.free[c]) {
    h.free[c] = *static_cast<void**>(p);
    return p;
  }
  std::size_t need = BLOCK_HEADER + payload_of(c);
  if (need > static_cast<std::size_t>(end_ - base_) - h.top) throw std::bad_alloc();
  unsigned char* block = base_ + h.top;
  h.top += need;
  *reinterpret_cast<std::size_t*>(block) = c;
  return block + BLOCK_HEADER;
}

void Arena::release(void* p) noexcept {
  std::size_t c = *reinterpret_cast<std::size_t*>(static_cast<unsigned char*>(p) - BLOCK_HEADER);
  Header& h = header();
  *static_cast<void**>(p) = h.free[c];
  h.free[c] = p;
}

inside::inside(Arena& a) : previous_(tl_current), was_active_(tl_active) {
  tl_current = &a;
  tl_active = true;
}
inside::~inside() {
  tl_current = previous_;
  tl_active = was_active_;
}

outside::outside() : was_active_(tl_active) { tl_active = false; }
outside::~outside() { tl_active = was_active_; }

Arena* active() { return tl_active ? tl_current : nullptr; }
Arena* current() { return tl_current; }

}  // namespace luv::impl::arena

// ---- the replaced allocation functions (not under AddressSanitizer) ---------------

#if !defined(__SANITIZE_ADDRESS__)
namespace {
using luv::impl::arena::Arena;

void* allocate(std::size_t size) {
  if (Arena* a = luv::impl::arena::active()) return a->allocate(size);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  if (Arena* a = luv::impl::arena::current(); a && a->owns(p)) {
    if (luv::impl::arena::active()) a->release(p);
    return;  // paused: the block belongs to a state, which a restore brings back
  }
  std::free(p);
}

void* allocate_aligned(std::size_t size, std::align_val_t align) {
  auto al = static_cast<std::size_t>(align);
  if (al <= 16) return allocate(size);
  if (luv::impl::arena::active()) throw std::bad_alloc();  // nothing in a run is over-aligned
  if (void* p = std::aligned_alloc(al, (size + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& t) noexcept { return operator new(size, t); }
void* operator new(std::size_t size, std::align_val_t al) { return allocate_aligned(size, al); }
void* operator new[](std::size_t size, std::align_val_t al) { return allocate_aligned(size, al); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
#endif
