// Where in impl/ a violation happened: the file and line a SARIF result
// points at, so code-scanning views annotate the kernel-shaped source.
#pragma once
#include <string>
#include <vector>

#include "properties/runner.h"

namespace luv {

struct EmbeddedSource {
  const char* path;  // relative to the repository root, e.g. "impl/iommu_liveupdate.cpp"
  const char* text;
};
// impl/ sources compiled in at build time (embed_sources.cmake).
const std::vector<EmbeddedSource>& embedded_sources();

struct SourceLocation {
  std::string file;  // repository-relative
  int line = 1;
  std::string function;
};

// The definition of a kernel function in impl/, or nullopt-like (line 0).
SourceLocation function_location(const std::string& function);

// The source line of the step that broke the property: within the function
// the violating call enters (iommu_preserve_device for vfio_preserve, ...),
// the interleaving point the thread resumed from (its sched_point or lock),
// else a WARN raised in the call, else the function's definition. After the
// threads (kexec, restore): next_kernel_restore.
SourceLocation violation_location(const Scenario& s, const Violation& v);

}  // namespace luv
