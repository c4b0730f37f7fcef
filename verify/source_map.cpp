#include "verify/source_map.h"

#include <cstdio>
#include <sstream>

#include "impl/callers.h"

namespace luv {

namespace {

std::vector<std::string> lines_of(const char* text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A definition starts a line: "task<int> NAME(", "int NAME(", "void NAME(", ...
bool defines(const std::string& line, const std::string& function) {
  if (line.empty() || line[0] == ' ' || line[0] == '/' || line[0] == '#') return false;
  size_t at = line.find(" " + function + "(");
  return at != std::string::npos && line.find(';') == std::string::npos;
}

}  // namespace

SourceLocation function_location(const std::string& function) {
  for (const EmbeddedSource& src : embedded_sources()) {
    std::vector<std::string> lines = lines_of(src.text);
    for (size_t i = 0; i < lines.size(); ++i)
      if (defines(lines[i], function)) return {src.path, static_cast<int>(i + 1), function};
  }
  return {"", 0, function};
}

SourceLocation violation_location(const Scenario& s, const Violation& v) {
  if (v.thread < 0 || v.call < 0 || v.thread >= static_cast<int>(s.threads.size()) ||
      v.call >= static_cast<int>(s.threads[v.thread].size())) {
    SourceLocation l = function_location("next_kernel_restore");
    return l.line ? l : SourceLocation{"impl/next_kernel.cpp", 1, "next_kernel_restore"};
  }
  std::string function = impl::entry_point_of(s.threads[v.thread][v.call].kind).function;
  SourceLocation def = function_location(function);
  if (def.line == 0) return {"impl/iommu_liveupdate.cpp", 1, function};

  // Where the thread was when the violating step ran: rerun up to it with a trace.
  RunOptions o;
  o.trace = true;
  o.properties = PropertySet();
  ExploreHook stop;  // the explorer's stop, borrowed: the rerun ends at the violating step
  stop.steps_stop = v.step;
  o.explore = &stop;
  RunResult r = run(s, o);
  std::string point, warned;
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "T%d   ", v.thread);
  for (const std::string& line : r.trace) {
    size_t at = line.find(prefix);
    if (at == std::string::npos) continue;
    std::string rest = line.substr(at + std::string(prefix).size());
    if (rest.rfind(".. ", 0) == 0) point = rest.substr(3);
    if (rest.find("WARN") != std::string::npos) warned = rest;
  }
  // The point names a sched_point literal or a lock: find it in the function's body.
  std::string needle;
  if (!point.empty()) {
    size_t open = point.find('(');
    needle = point.rfind("mutex_lock(", 0) == 0 && open != std::string::npos
                 ? "&" + point.substr(open + 1, point.size() - open - 2)
                 : "\"" + point + "\"";
  } else if (!warned.empty()) {
    needle = "WARN_ON_ONCE(";
  }
  if (!needle.empty()) {
    for (const EmbeddedSource& src : embedded_sources()) {
      if (def.file != src.path) continue;
      std::vector<std::string> lines = lines_of(src.text);
      for (size_t i = static_cast<size_t>(def.line); i < lines.size(); ++i) {
        if (lines[i].rfind("}", 0) == 0) break;  // end of the function
        if (lines[i].find(needle) != std::string::npos) return {def.file, static_cast<int>(i + 1), function};
      }
    }
  }
  return def;
}

}  // namespace luv
