#include "properties/tracer.h"

#include <cstdio>

#include "properties/runner.h"

namespace luv {

void Tracer::line(const std::string& text) {
  if (on_) lines_.push_back(text);
}

void Tracer::step_line(int step, int thread, const std::string& text) {
  if (!on_) return;
  char prefix[32];
  if (thread < 0)
    std::snprintf(prefix, sizeof prefix, "[%3d]    ", step);  // after the threads: kexec, next kernel
  else
    std::snprintf(prefix, sizeof prefix, "[%3d] T%d ", step, thread);
  lines_.push_back(prefix + text);
}

void Tracer::flush_log(int step, int thread) {
  for (const std::string& l : log_) step_line(step, thread, "  " + l);
  log_.clear();
}

void Tracer::header(const Scenario& s) {
  if (!on_) return;
  line("luv: variant " + s.variant + ", " + caller_mode_name(s.mode) + " mode, " + std::to_string(s.threads.size()) +
       " thread(s), " + std::to_string(s.calls_total()) + " call(s), " + std::to_string(s.faults.size()) +
       " fault(s) planned");
}

void Tracer::verdict(const Verdict& v, const PropertySet& checked) {
  if (!on_) return;
  for (const Violation& x : v.violations)
    line("VIOLATION " + std::string(property_name(x.property)) + " at step " + std::to_string(x.step) +
         (x.thread >= 0 ? ", T" + std::to_string(x.thread) : "") +
         (x.call >= 0 ? " call " + std::to_string(x.call) : "") + ": " + x.message);
  if (v.ok()) line("ok: no property violated");
  PropertySet unjudged = v.unjudged_after_end(checked);
  if (unjudged.any()) line("not judged past step " + std::to_string(v.ended->step) + ": " + property_list(unjudged));
}

}  // namespace luv
