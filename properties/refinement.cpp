#include "properties/refinement.h"

#include "impl/world.h"
#include "model/abstraction.h"

namespace luv {

void RefinementObserver::on_start(const impl::World& w) {
  unsupported_ = model::model_supports(w.topology);
  model_.emplace(w.topology);
  states_ = {model_->initial()};
  faults_.assign(w.threads.size(), {});
  in_call_.assign(w.threads.size(), false);
  segment_.clear();
  faults_seen_ = w.faults_fired.size();
  in_flight_ = 0;
  segments_ = 0;
  nodes_ = 0;
  undecided_.clear();
  unfreed_ = Unfreed();
}

void RefinementObserver::on_call_start(const impl::World& w, int thread, const Call& call) {
  (void)w, (void)call;
  faults_[thread].clear();
  in_call_[thread] = true;
  in_flight_++;
}

void RefinementObserver::on_step(const impl::World& w, int thread) {
  // Faults fire only inside calls, in a step of the thread that makes the call.
  for (; faults_seen_ < w.faults_fired.size(); ++faults_seen_) {
    const Fault& f = w.faults_fired[faults_seen_];
    if (in_call_[thread]) faults_[thread].push_back(model::FaultHit{f.site, f.err});
  }
}

std::optional<std::string> RefinementObserver::on_call_end(const impl::World& w, const CallRecord& r) {
  in_call_[r.thread] = false;
  in_flight_--;
  segment_.push_back(HistoryCall{r.thread, r.index, r.call, r.ret, r.first_step, r.last_step,
                                 std::move(faults_[r.thread])});
  faults_[r.thread].clear();
  if (in_flight_ > 0 || !unsupported_.empty()) return std::nullopt;
  if (!undecided_.empty()) {  // the states this segment starts from are unknown
    segment_.clear();
    return std::nullopt;
  }

  unfreed_.update(w);
  model::Abstract target = model::abstraction(w, unfreed_.pages());
  if (kept_ != nullptr) kept_->push_back(Segment{states_, segment_, target});
  Linearization lin = linearize(*model_, states_, segment_, target, options_);
  segments_++;
  nodes_ += lin.nodes;
  segment_.clear();
  if (lin.undecided) {
    undecided_ = lin.why;  // a limit of the checker, not of the implementation
    return std::nullopt;
  }
  if (lin.finals.empty()) return lin.why;
  states_ = std::move(lin.finals);
  return std::nullopt;
}

}  // namespace luv
