#include "impl/world.h"

#include "impl/mock_driver.h"

namespace luv::impl {

World::World(const Scenario& scenario, const variant_rules& variant)
    : rules(variant), topology(scenario.topology), faults(scenario.faults) {
  const Topology& t = topology;
  iommu_op_tables.reserve(t.iommus.size());
  domain_op_tables.reserve(t.domains.size());
  iommus.resize(t.iommus.size());
  domains.resize(t.domains.size());
  groups.resize(t.devices.size());
  dev_iommus.resize(t.devices.size());
  devices.resize(t.devices.size());

  for (size_t i = 0; i < t.iommus.size(); ++i) {
    iommu_op_tables.push_back(mock_iommu_ops(t.iommus[i].ops, static_cast<int>(i)));
    iommus[i].id = static_cast<int>(i);
    iommus[i].ops = &iommu_op_tables[i];
  }
  for (size_t i = 0; i < t.domains.size(); ++i) {
    domain_op_tables.push_back(mock_domain_ops(t.domains[i].ops, static_cast<int>(i)));
    domains[i].id = static_cast<int>(i);
    domains[i].ops = &domain_op_tables[i];
  }
  for (size_t i = 0; i < t.devices.size(); ++i) {
    const DeviceSpec& spec = t.devices[i];
    iommu_group& group = groups[static_cast<size_t>(t.group_of(static_cast<int>(i)))];
    if (spec.dma_owner) group.owner_cnt++;  // validate(): a group's devices agree on it
    group.devices++;
    dev_iommus[i].iommu_dev = &iommus[spec.iommu];
    device& dev = devices[i];
    dev.id = static_cast<int>(i);
    dev.is_pci = spec.pci;
    dev.dma_owner_held = spec.dma_owner;
    dev.iommu_group = &group;
    dev.iommu = &dev_iommus[i];
    dev.pdev.devfn_id = static_cast<u16>(i + 1);
    dev.pdev.bus = &bus;
  }
  file_preserved.assign(t.files(), false);
  sessions.resize(static_cast<size_t>(t.session_count()));
  threads.resize(scenario.threads.size());
  call_allocations.resize(scenario.threads.size());
  call_released.resize(scenario.threads.size());
}

}  // namespace luv::impl
