#include "explore/twins.h"

#include <bit>

#include "properties/assert.h"

namespace luv::explorer {

namespace {
constexpr int DOMAIN_BIT = 32;

bool file_alone_in_session(const Topology& t, int file) { return t.files_of_session(t.session_of(file)).size() == 1; }

// Device d is alone in its group, and its VFIO file alone in its session.
bool device_alone(const Topology& t, int d) {
  return t.devices[static_cast<size_t>(d)].group < 0 && t.group_is_singleton(d) && file_alone_in_session(t, t.vfio_file(d));
}

// The lowest of objects 0..n-1 that `twins` pairs with each, in order.
template <typename F>
void lowest_of(int n, F twins, std::vector<int>& out) {
  for (int a = 0; a < n; ++a) {
    int lowest = a;
    for (int b = 0; b < a && lowest == a; ++b)
      if (twins(b, a)) lowest = b;
    out.push_back(lowest);
  }
}
}  // namespace

Twins::Twins(const Topology& t) : t_(t) {
  int devices = static_cast<int>(t.devices.size()), domains = static_cast<int>(t.domains.size());
  LUV_ASSERT(devices <= DOMAIN_BIT && domains <= 64 - DOMAIN_BIT);  // a bit each; validate() bounds them lower
  lowest_of(devices, [&](int a, int b) {
    return t.devices[static_cast<size_t>(a)] == t.devices[static_cast<size_t>(b)] && device_alone(t, a) && device_alone(t, b);
  }, lowest_twin_);
  lowest_twin_.resize(DOMAIN_BIT, -1);
  lowest_of(domains, [&](int a, int b) {
    return t.domains[static_cast<size_t>(a)] == t.domains[static_cast<size_t>(b)] &&
           file_alone_in_session(t, t.iommufd_file(a)) && file_alone_in_session(t, t.iommufd_file(b));
  }, lowest_twin_);
  for (int m = 0; m < domains; ++m) lowest_twin_[static_cast<size_t>(DOMAIN_BIT + m)] += DOMAIN_BIT;
}

std::uint64_t Twins::named_by(const Call& c) const {
  std::uint64_t bits = 0;
  auto file = [&](int f) {
    if (int d = t_.file_device(f); d >= 0) bits |= 1ull << d;
    if (int m = t_.file_domain(f); m >= 0) bits |= 1ull << (DOMAIN_BIT + m);
  };
  if (c.device >= 0) bits |= 1ull << c.device;
  if (c.domain >= 0) bits |= 1ull << (DOMAIN_BIT + c.domain);
  if (c.file >= 0) file(c.file);
  if (c.session >= 0)
    for (int f : t_.files_of_session(c.session)) file(f);
  return bits;
}

// Each twin the call names, alone of its kind, is a swap away from a lower
// unnamed twin: swaps of devices and of domains are each a symmetry of the
// state, and each lowers the call's objects, so the lowest is searched.
bool Twins::covered(std::uint64_t objects, std::uint64_t named) const {
  for (std::uint64_t kind : {(1ull << DOMAIN_BIT) - 1, ~((1ull << DOMAIN_BIT) - 1)}) {
    std::uint64_t of_kind = objects & kind;
    if (std::popcount(of_kind) != 1) continue;
    int x = std::countr_zero(of_kind);
    if (named >> x & 1u) continue;
    for (int y = lowest_twin_[static_cast<size_t>(x)]; y < x; ++y)
      if (lowest_twin_[static_cast<size_t>(y)] == lowest_twin_[static_cast<size_t>(x)] && !(named >> y & 1u)) return true;
  }
  return false;
}

}  // namespace luv::explorer
