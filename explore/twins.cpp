#include "explore/twins.h"

#include <bit>

#include "properties/assert.h"

namespace luv::explorer {

namespace {
// Device d is alone in its group, and its VFIO file alone in its session.
bool alone(const Topology& t, int d) {
  return t.devices[static_cast<size_t>(d)].group < 0 && t.group_is_singleton(d) &&
         t.files_of_session(t.session_of(t.vfio_file(d))).size() == 1;
}
}  // namespace

Twins::Twins(const Topology& t) : t_(t) {
  int n = static_cast<int>(t.devices.size());
  LUV_ASSERT(n <= 32);  // a bit each in `touched`; validate() bounds devices at 32
  for (int d = 0; d < n; ++d) {
    int lowest = d;
    for (int e = 0; e < d && lowest == d; ++e)
      if (t.devices[static_cast<size_t>(e)] == t.devices[static_cast<size_t>(d)] && alone(t, e) && alone(t, d))
        lowest = e;
    lowest_twin_.push_back(lowest);
  }
}

std::uint32_t Twins::named_by(const Call& c) const {
  std::uint32_t bits = 0;
  auto device = [&](int d) {
    if (d >= 0) bits |= 1u << d;
  };
  device(c.device);
  if (c.file >= 0) device(t_.file_device(c.file));
  if (c.session >= 0)
    for (int f : t_.files_of_session(c.session)) device(t_.file_device(f));
  return bits;
}

bool Twins::covered(const Call& c, std::uint32_t touched) const {
  std::uint32_t named = named_by(c);
  if (std::popcount(named) != 1) return false;
  int d = std::countr_zero(named);
  if (touched >> d & 1u) return false;
  for (int e = lowest_twin_[static_cast<size_t>(d)]; e < d; ++e)
    if (lowest_twin_[static_cast<size_t>(e)] == lowest_twin_[static_cast<size_t>(d)] && !(touched >> e & 1u)) return true;
  return false;
}

}  // namespace luv::explorer
