// The kernel's memory, for the explorer's snapshots: one region at a fixed
// address per search thread, from which every allocation of that thread
// is drawn while the arena is in use (the World, the Runner, every
// coroutine frame, their strings and vectors). A state is then the region's
// bytes: saving it is copying them out, restoring it copying them back, and
// every pointer inside stays valid because the region never moves.
//
// Why not copy the World: it holds pointers into itself and into the
// coroutine frames, and a frame cannot be copied (docs/DESIGN.md,
// "Snapshots"). Under AddressSanitizer the arena is off (supported() is
// false) so that ASan keeps checking every allocation; the explorer then
// replays its prefixes, with the same results.
//
// A restore writes objects' bytes behind the compiler's back: what lives in
// the arena is reached through pointers that escaped (stored in the arena,
// passed to functions of other files), never through a local the compiler
// could prove no call writes to.
//
// The allocator's state (its free lists, its top) lives in the region's
// first bytes, so a restore restores it too. Memory allocated outside the
// arena and freed inside it goes back to malloc; memory of the arena freed
// while it is paused is left where it is (it belongs to a state).
#pragma once
#include <cstddef>
#include <memory>

namespace luv::impl::arena {

// Whether this build has the arena (not under AddressSanitizer).
bool supported();

// A state's bytes, saved by Arena::save.
class Snapshot {
 public:
  std::size_t bytes() const { return size_; }

 private:
  friend class Arena;
  std::unique_ptr<unsigned char[]> data_;
  std::size_t size_ = 0;
};

class Arena {
 public:
  // Reserves `capacity` bytes of address space (committed as they are used).
  explicit Arena(std::size_t capacity = std::size_t{256} << 20);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::size_t used() const;  // bytes a snapshot copies
  std::shared_ptr<const Snapshot> save() const;
  // Back to a state this arena saved: every object allocated since is gone.
  void restore(const Snapshot& s);

  void* allocate(std::size_t size);
  void release(void* p) noexcept;
  bool owns(const void* p) const { return p >= base_ && p < end_; }

 private:
  struct Header;
  Header& header() const;
  unsigned char* base_;
  unsigned char* end_;
};

// While an `inside` lives, this thread's allocations come from `a`.
class inside {
 public:
  explicit inside(Arena& a);
  ~inside();
  inside(const inside&) = delete;
  inside& operator=(const inside&) = delete;

 private:
  Arena* previous_;
  bool was_active_;
};

// While an `outside` lives, this thread allocates from malloc again (the
// explorer's own buffers, filled from inside a step).
class outside {
 public:
  outside();
  ~outside();
  outside(const outside&) = delete;
  outside& operator=(const outside&) = delete;

 private:
  bool was_active_;
};

// For the allocation functions: the arena this thread allocates from now,
// or null; and whether p belongs to this thread's arena, in use or paused.
Arena* active();
Arena* current();

}  // namespace luv::impl::arena
