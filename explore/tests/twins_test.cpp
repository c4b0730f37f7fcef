// Twin devices (explore/twins.h): which devices of a topology are twins,
// which devices a call names, and which calls a path's named devices cover.
#include "explore/twins.h"

#include <gtest/gtest.h>

#include "impl/callers.h"

namespace luv::explorer {
namespace {

Call on_device(CallKind kind, int device, int domain = -1) {
  Call c;
  c.kind = kind;
  c.device = device;
  c.domain = domain;
  return c;
}

TEST(Twins, the_default_topologys_dev1_and_dev2_are_twins) {
  Topology t = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  Twins twins(t);
  Call dev1 = on_device(CallKind::vfio_preserve, 1, 0), dev2 = on_device(CallKind::vfio_preserve, 2, 0);
  EXPECT_TRUE(twins.covered(dev2, 0));       // dev1, unnamed too, stands for it
  EXPECT_FALSE(twins.covered(dev1, 0));      // the lowest twin is searched
  EXPECT_FALSE(twins.covered(dev2, 1u << 1));  // dev1 named: the swap is no longer a symmetry
  EXPECT_FALSE(twins.covered(dev2, 1u << 2));
  EXPECT_FALSE(twins.covered(on_device(CallKind::vfio_preserve, 0, 0), 0));  // dev0 is behind IOMMU 0
  EXPECT_TRUE(twins.covered(dev2, 1u << 0));  // dev0 named: no matter
}

TEST(Twins, a_call_names_its_device_its_files_device_and_its_sessions_devices) {
  Topology t = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  Twins twins(t);
  Call file;
  file.kind = CallKind::luo_preserve_file;
  file.file = t.vfio_file(2);
  EXPECT_EQ(twins.named_by(file), 1u << 2);
  EXPECT_TRUE(twins.covered(file, 0));
  file.file = t.iommufd_file(1);
  EXPECT_EQ(twins.named_by(file), 0u);
  EXPECT_FALSE(twins.covered(file, 0));
  Call release;
  release.kind = CallKind::luo_session_release;
  release.session = t.session_of(t.vfio_file(2));
  EXPECT_EQ(twins.named_by(release), 1u << 2);
  EXPECT_TRUE(twins.covered(release, 0));
  Call domain;
  domain.kind = CallKind::iommufd_preserve;
  domain.domain = 1;
  EXPECT_EQ(twins.named_by(domain), 0u);
}

TEST(Twins, devices_that_differ_or_share_a_group_or_a_session_are_not_twins) {
  Call dev2 = on_device(CallKind::vfio_preserve, 2, 0);
  Topology group = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  group.devices[2].group = 1;  // dev2 joins dev1's group
  EXPECT_FALSE(Twins(group).covered(dev2, 0));
  Topology session = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  session.sessions = {0, 1, 2, 3, 3};  // dev1's and dev2's files share a session
  EXPECT_FALSE(Twins(session).covered(dev2, 0));
  Topology owner = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  owner.devices[2].dma_owner = false;
  EXPECT_FALSE(Twins(owner).covered(dev2, 0));
  Topology three = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  three.devices.push_back(DeviceSpec{1});  // dev3: a third twin
  EXPECT_TRUE(Twins(three).covered(on_device(CallKind::vfio_preserve, 3, 0), 1u << 1));  // dev2 still stands for it
  EXPECT_FALSE(Twins(three).covered(on_device(CallKind::vfio_preserve, 3, 0), 1u << 1 | 1u << 2));
}

}  // namespace
}  // namespace luv::explorer
