// The coroutine frame pool of kthread.h: per thread, a free list of blocks
// for each size class (64-byte steps up to 2 KiB). A run allocates and frees
// hundreds of frames of a few sizes; reusing blocks skips malloc's bookkeeping.
// Under AddressSanitizer frames go to operator new, so that a use after free
// of a frame is still caught; so do they while the explorer's arena is in
// use (arena.h): a frame is then part of the state a snapshot saves.
#include <cstdlib>
#include <new>
#include <vector>

#include "impl/shim/arena.h"
#include "impl/shim/kthread.h"

namespace luv::impl::detail {

#if defined(__SANITIZE_ADDRESS__)
void* frame_alloc(std::size_t size) { return ::operator new(size); }
void frame_free(void* p, std::size_t) noexcept { ::operator delete(p); }
#else
namespace {
constexpr std::size_t GRAIN = 64, CLASSES = 32, KEPT = 256;  // blocks kept per class

struct pool {
  std::vector<void*> lists[CLASSES];
  pool() {
    for (auto& l : lists) l.reserve(KEPT);  // frame_free never allocates
  }
  ~pool() {
    for (auto& l : lists)
      for (void* p : l) std::free(p);
  }
};
thread_local pool frames;

std::size_t class_of(std::size_t size) { return (size + GRAIN - 1) / GRAIN - 1; }
}  // namespace

void* frame_alloc(std::size_t size) {
  std::size_t c = class_of(size);
  if (c >= CLASSES || arena::active()) return ::operator new(size);
  std::vector<void*>& l = frames.lists[c];
  if (!l.empty()) {
    void* p = l.back();
    l.pop_back();
    return p;
  }
  if (void* p = std::malloc((c + 1) * GRAIN)) return p;
  throw std::bad_alloc();
}

void frame_free(void* p, std::size_t size) noexcept {
  std::size_t c = class_of(size);
  arena::Arena* a = arena::current();
  if (c >= CLASSES || (a && a->owns(p))) return ::operator delete(p);
  std::vector<void*>& l = frames.lists[c];
  if (l.size() < KEPT) l.push_back(p);
  else std::free(p);
}
#endif

}  // namespace luv::impl::detail
