// The Runner's trace: a kernel-log style account of a run (RunOptions::trace),
// one line per call started or returned, per interleaving point a thread
// stopped at, per line impl/ logged, and the verdict at the end. Off, it
// costs a branch per line.
#pragma once
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "properties/property.h"

namespace luv {

struct Verdict;

class Tracer {
 public:
  explicit Tracer(bool on) : on_(on) {}
  bool on() const { return on_; }
  // Where impl/ writes its log lines (World::log), flushed at every step.
  std::vector<std::string>* log() { return &log_; }

  void line(const std::string& text);
  // "[step] Tt text"; thread -1: after the threads (kexec, the next kernel).
  void step_line(int step, int thread, const std::string& text);
  // impl/'s log lines since the last flush, as step lines.
  void flush_log(int step, int thread);
  void header(const Scenario& s);
  // Every violation, then "ok" or what was not judged past the run's end.
  void verdict(const Verdict& v, const PropertySet& checked);
  std::vector<std::string> take() { return std::move(lines_); }

 private:
  bool on_;
  std::vector<std::string> log_;
  std::vector<std::string> lines_;
};

}  // namespace luv
