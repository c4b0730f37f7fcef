// What one step of a kernel thread reads, and writes, of the shared state.
//
// Why: the explorer identifies a paused coroutine by what it has read (its
// frame is a function of its call and of the values it read), so that
// interleaved steps of another thread that it never reads do not keep two
// equal states apart (docs/DESIGN.md, "The explorer"). The shims note every read of
// shared state: each kptr use (the pointer itself and what it points at),
// each mutex operation, each allocation, and each watched<> variable. Off
// (null) except for the one step the explorer asks about.
#pragma once
#include <vector>

namespace luv::impl {

enum class read_kind : unsigned char {
  pointer,     // a kptr's own value, at the kptr's address (a local one is ignored)
  object,      // what a kptr points at
  mutex,       // a mutex's owner and poison
  kho_alloc,   // the KHO arena's next page
  slab_alloc,  // a kmem_cache's next object
  warn_once,   // the WARN_ON_ONCE sites fired
  variable,    // a watched<> variable
};

struct read_event {
  const void* at;
  read_kind kind;
};

// constinit: no dynamic initialiser, so a read is a plain TLS load, not a call.
extern thread_local constinit std::vector<read_event>* step_reads;
// Where the step wrote without reading first: a kptr or a watched<>
// variable assigned. Every other write of shared state is also a noted read
// (through a kptr's object, a mutex, an allocator, the WARN_ON_ONCE sites),
// so the reads and these give all a step can have changed: the explorer
// then hashes again only those parts of the World (docs/DESIGN.md,
// "Components kept up to date"). Off (null) except for the explorer's step.
extern thread_local constinit std::vector<const void*>* step_writes;

// Inlined always: every kptr use calls it, and GCC 12 at -O2 kept it out of
// line (bench/RESULTS.md, twelfth session).
[[gnu::always_inline]] inline void note_read(const void* at, read_kind kind) {
  if (step_reads) step_reads->push_back(read_event{at, kind});
}
[[gnu::always_inline]] inline void note_write(const void* at) {
  if (step_writes) step_writes->push_back(at);
}

// A plain shared variable whose reads are noted, e.g. LUO's counters.
template <typename T>
class watched {
 public:
  watched(T v = T{}) : v_(v) {}
  operator T() const {
    note_read(this, read_kind::variable);
    return v_;
  }
  watched& operator=(T v) {
    note_write(this);
    v_ = v;
    return *this;
  }
  // A blind increment: nothing of the old value reaches the caller, so
  // it is not a read (void, so that no caller can use it).
  void operator++(int) {
    note_write(this);
    ++v_;
  }
  T operator--() {
    note_write(this);
    v_ = T(*this) - 1;
    return v_;
  }

 private:
  T v_;
};

}  // namespace luv::impl
