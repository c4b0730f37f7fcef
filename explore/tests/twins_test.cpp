// Twins (explore/twins.h): which devices and domains of a topology are
// twins, which a call names, and which calls a path's named objects cover.
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
  EXPECT_FALSE(twins.covered(dev2, 1ull << 1));  // dev1 named: the swap is no longer a symmetry
  EXPECT_FALSE(twins.covered(dev2, 1ull << 2));
  EXPECT_FALSE(twins.covered(on_device(CallKind::vfio_preserve, 0, 0), 0));  // dev0 is behind IOMMU 0
  EXPECT_TRUE(twins.covered(dev2, 1ull << 0));  // dev0 named: no matter
}

TEST(Twins, a_call_names_its_device_its_files_device_and_its_sessions_devices) {
  Topology t = default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL);
  Twins twins(t);
  Call file;
  file.kind = CallKind::luo_preserve_file;
  file.file = t.vfio_file(2);
  EXPECT_EQ(twins.named_by(file), 1ull << 2);
  EXPECT_TRUE(twins.covered(file, 0));
  file.file = t.iommufd_file(1);
  EXPECT_EQ(twins.named_by(file), 1ull << 33);  // domain 1
  EXPECT_TRUE(twins.covered(file, 0));  // domain 0, unnamed too, stands for domain 1
  EXPECT_FALSE(twins.covered(file, 1ull << 32));
  Call release;
  release.kind = CallKind::luo_session_release;
  release.session = t.session_of(t.vfio_file(2));
  EXPECT_EQ(twins.named_by(release), 1ull << 2);
  Call device_on_domain = on_device(CallKind::vfio_preserve, 2, 1);
  EXPECT_EQ(twins.named_by(device_on_domain), 1ull << 2 | 1ull << 33);
  EXPECT_TRUE(twins.covered(release, 0));
  Call domain;
  domain.kind = CallKind::iommufd_preserve;
  domain.domain = 1;
  EXPECT_EQ(twins.named_by(domain), 1ull << 33);
}

// Domain 1's op set is a choice: with every op it is domain 0's twin.
TEST(Twins, domains_with_the_same_op_set_are_twins) {
  Call domain1;
  domain1.kind = CallKind::iommufd_preserve;
  domain1.domain = 1;
  EXPECT_TRUE(Twins(default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL)).covered(domain1, 0));
  EXPECT_FALSE(Twins(default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE)).covered(domain1, 0));
  // A call on dev1 and domain 1 is covered by the domain swap alone, and one
  // on dev2 and domain 0 by the device swap alone.
  Twins twins(default_topology(IOMMU_OPS_ALL, DOMAIN_OPS_ALL));
  EXPECT_TRUE(twins.covered(on_device(CallKind::vfio_preserve, 1, 1), 1ull << 1));
  EXPECT_TRUE(twins.covered(on_device(CallKind::vfio_preserve, 2, 0), 1ull << 32));
  EXPECT_FALSE(twins.covered(on_device(CallKind::vfio_preserve, 2, 1), 1ull << 1 | 1ull << 32));
  EXPECT_FALSE(twins.covered(on_device(CallKind::vfio_preserve, 1, 0), 0));
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
  EXPECT_TRUE(Twins(three).covered(on_device(CallKind::vfio_preserve, 3, 0), 1ull << 1));  // dev2 still stands for it
  EXPECT_FALSE(Twins(three).covered(on_device(CallKind::vfio_preserve, 3, 0), 1ull << 1 | 1ull << 2));
}

}  // namespace
}  // namespace luv::explorer
