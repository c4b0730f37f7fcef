// Linearizability of a concurrent history against the model.
//
// A history segment is the calls that ran between two quiescent points (no
// thread inside a call). It is linearizable when some sequential order of
// the model's operations explains it: each call's operations in program
// order (a contract caller is two or three operations, a session's
// teardown three per file, see model.h), the operations of two calls
// holding one session's mutex not interleaved (model::call_session_mutex:
// the kernel runs them one after the other), every
// call that returned before another started ordered before it (real time),
// each call's return value the model's, each injected fault fired inside the
// call it was injected in, and the model state at the end abstracting to the
// implementation's state at the quiescent point.
//
// The search is Wing & Gong's, with memoised configurations as in Lowe's
// "Testing for linearizability" and porcupine: a configuration is which
// calls are linearized (each thread's calls are sequential, so that is a
// position per thread: calls done, and where it is inside the current one)
// plus the model state, and a configuration seen once is not expanded again.
// Different orders of commuting calls reach the same configuration, so the
// memo, not the number of orders, bounds the work. The search must find
// every end state (the next segment starts from them), so it is exhaustive;
// what keeps it small is that no model op reads the WARN_ON_ONCE bits: the
// memo leaves them out and maps a configuration to the ends it can reach,
// with the warnings added on the way (the end states of a long segment
// differ only in which of several sites of one function warned, which the
// memo would otherwise multiply by). 8 threads x 16 overlapping calls are
// decided in at most about 10^6 configurations (bench/RESULTS.md).
//
// The history is not split by object (P-compositionality): every object's
// calls read the FLB (whether any file is preserved) and the WARN_ON_ONCE
// bits are shared, so calls on different objects do not commute in the
// model and no partition is sound.
//
// What is left of a bound is the memo's size: a search that reaches
// LinearizeOptions::configurations_max is `undecided`, a limit of the
// checker and never a verdict on the history.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "model/model.h"

namespace luv {

struct HistoryCall {
  int thread = 0;
  int index = 0;  // position in its thread
  Call call;
  int ret = 0;
  int first_step = 0;
  int last_step = 0;
  std::vector<model::FaultHit> faults;  // injected while this call ran
};

struct LinearizeOptions {
  // Configurations memoised, at most (about 100 bytes each). The 8 x 16
  // histories of `luv check` need under 10^5; random schedules over a whole
  // 8 x 16 run, up to about 10^6.
  long long configurations_max = 4'000'000;
};

struct Linearization {
  // Model states the segment can end in, each projecting to the target:
  // empty when the segment is not linearizable or undecided.
  std::vector<model::State> finals;
  // The search hit configurations_max before it had seen every end state:
  // neither linearizable nor not (a partial set of finals would let the
  // next segment fail for the wrong reason, so there are none).
  bool undecided = false;
  std::string why;       // when not linearizable or undecided: what no order explains, or the bound
  long long nodes = 0;   // configurations expanded
};

// The search with its buffers (memo, stack, moves, interned sets), kept
// from one segment to the next: once warm, deciding a segment allocates
// nothing (the model-refinement check decides one at every quiescent
// point, and the allocation of fresh buffers was a fifth of its time).
// Buffers a big search grew past a few megabytes are given back before the
// next one. Not for use by two threads at once.
class Linearizer {
 public:
  Linearizer();
  ~Linearizer();
  Linearizer(Linearizer&&) noexcept;
  Linearizer& operator=(Linearizer&&) noexcept;

  // `starts`: the model states the history may be in before the segment.
  Linearization operator()(const model::Model& m, const std::vector<model::State>& starts,
                           const std::vector<HistoryCall>& calls, const model::Abstract& target,
                           const LinearizeOptions& options = {});

 private:
  class searcher;
  std::unique_ptr<searcher> searcher_;
};

// A Linearizer of the calling thread's own: the Runner builds a new
// model-refinement observer for every run, so buffers kept by the observer
// would be cold at most segments.
Linearization linearize(const model::Model& m, const std::vector<model::State>& starts,
                        const std::vector<HistoryCall>& calls, const model::Abstract& target,
                        const LinearizeOptions& options = {});

std::string describe_history_call(const HistoryCall& c);

}  // namespace luv
