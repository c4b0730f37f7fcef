// The helpers every command shares (command.h).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/output_file.h"
#include "impl/variant.h"

namespace luv::cli {

void check_report_paths(const std::vector<std::pair<const char*, std::string>>& option_paths) {
  for (const auto& [option, path] : option_paths) {
    if (path.empty()) continue;
    std::string why = cannot_write_reason(path);
    if (!why.empty()) throw BadInput{std::string(option) + ": " + path + ": cannot write (" + why + ")"};
  }
  for (const auto& [option, path] : option_paths)
    if (!path.empty()) will_write(path);
}

void check_output_dir(const char* option, const std::string& dir) {
  std::error_code ec;
  std::string why = !std::filesystem::is_directory(dir, ec) ? "no such directory"
                    : ::access(dir.c_str(), W_OK) != 0     ? "not writable"
                                                           : "";
  if (!why.empty()) throw BadInput{std::string(option) + ": " + dir + ": cannot write there (" + why + ")"};
}

std::string counterexample_dir(const std::string& cx_dir, const std::string& json_out) {
  check_report_paths({{"--json", json_out}});
  if (!cx_dir.empty()) {
    check_output_dir("--counterexamples", cx_dir);
    return cx_dir;
  }
  if (json_out.empty()) return "";
  size_t slash = json_out.rfind('/');
  return slash == std::string::npos ? "." : json_out.substr(0, slash);
}

std::chrono::steady_clock::time_point deadline_after(double seconds) {
  using clock = std::chrono::steady_clock;
  if (seconds <= 0) return clock::time_point::max();
  return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

CLI::Validator integer_range(long long lo, unsigned long long hi) {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  auto check = [lo, hi, range](std::string& text) -> std::string {
    const char* first = text.c_str();
    char* end = nullptr;
    errno = 0;
    bool negative = text.find('-') != std::string::npos;
    bool inside = negative ? std::strtoll(first, &end, 0) >= lo : std::strtoull(first, &end, 0) <= hi;
    if (end == first || *end != '\0') return "'" + text + "' is not an integer (" + range + ")";
    if (errno == ERANGE || !inside) return text + " is outside " + range;
    return "";
  };
  return CLI::Validator(check, "INT in " + range);
}

std::vector<int> parse_number_list(const std::string& text, const char* option, int max, const char* what) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 0);
    if (item.empty() || *end != '\0' || v < 0 || v > max)
      throw BadInput{std::string(option) + ": '" + item + "' is not " + what + " (0.." + std::to_string(max) + ")"};
    out.push_back(static_cast<int>(v));
  }
  return out;
}

CLI::Option* add_variant_option(CLI::App* cmd, std::string& variant, const std::string& what) {
  return cmd->add_option("--variant", variant,
                         (what.empty() ? "" : what + ": ") + impl::shipped_variant_names() + ", or BASE+mutant:NAME");
}

const std::string& checked_variant(const std::string& variant) {
  if (std::string bad = impl::unknown_variant(variant); !bad.empty()) throw BadInput{"--variant: " + bad};
  return variant;
}

std::vector<std::string> variants_or_shipped(const std::string& variant) {
  if (!variant.empty()) return {checked_variant(variant)};
  std::vector<std::string> all;
  for (const auto& v : impl::shipped_variants()) all.push_back(v.name);
  return all;
}

CallerMode parse_mode(const std::string& text) {
  if (text == "contract") return CallerMode::contract;
  if (text == "adversarial") return CallerMode::adversarial;
  throw BadInput{"--mode: unknown mode '" + text + "' (expected contract or adversarial)"};
}

void add_topology_options(CLI::App* cmd, TopologyFlags& flags) {
  // Ranges are refused at parse time (a 0 was taken as "the default" before).
  cmd->add_option("--iommus", flags.iommus, "topology: IOMMUs (default: docs/SPEC.md, \"The default bound\")")
      ->check(CLI::Range(1, SCENARIO_IOMMUS_MAX));
  cmd->add_option("--domains", flags.domains, "topology: domains")->check(CLI::Range(1, SCENARIO_DOMAINS_MAX));
  cmd->add_option("--devices", flags.devices, "topology: devices, spread evenly over the IOMMUs")
      ->check(CLI::Range(1, SCENARIO_DEVICES_MAX));
  cmd->add_option("--device-iommus", flags.device_iommus, "topology: each device's IOMMU, e.g. 0,1,1");
  cmd->add_option("--device-groups", flags.device_groups,
                  "topology: each device's IOMMU group, as the device whose group it joins (itself: its own), e.g. 0,1,1");
  cmd->add_option("--objects-per-page", flags.objects_per_page, "objects per KHO array page")->default_val(2);
  cmd->add_option("--iommu-ops", flags.iommu_ops, "op masks of the IOMMUs whose ops are fixed, e.g. 15,7");
  cmd->add_option("--domain-ops", flags.domain_ops, "op masks of the domains whose ops are fixed, e.g. 3,1");
}

namespace {

// The IOMMUs, domains and devices the counts ask for (the default's where 0).
void apply_counts(const TopologyFlags& f, Topology& t) {
  if (!f.iommus && !f.domains && !f.devices && f.device_iommus.empty()) return;
  int iommus = f.iommus ? f.iommus : 2, domains = f.domains ? f.domains : 2, devices = f.devices ? f.devices : 3;
  t.iommus.assign(iommus, IommuSpec{});
  t.domains.assign(domains, DomainSpec{});
  t.devices.clear();
  std::vector<int> map = parse_number_list(f.device_iommus, "--device-iommus", iommus - 1, "an IOMMU");
  if (!map.empty() && static_cast<int>(map.size()) != devices)
    throw BadInput{"--device-iommus: " + std::to_string(map.size()) + " entries for " + std::to_string(devices) +
                   " devices"};
  for (int v = 0; v < devices; ++v) t.devices.push_back(DeviceSpec{map.empty() ? v * iommus / devices : map[v]});
}

// Each device's group: an earlier device heading its own group, on the same
// IOMMU (validate()'s rules, named at the option).
void apply_groups(const TopologyFlags& f, Topology& t) {
  int devices = static_cast<int>(t.devices.size());
  std::vector<int> map = parse_number_list(f.device_groups, "--device-groups", devices - 1, "a device");
  if (map.empty()) return;
  if (static_cast<int>(map.size()) != devices)
    throw BadInput{"--device-groups: " + std::to_string(map.size()) + " entries for " + std::to_string(devices) +
                   " devices"};
  for (int v = 0; v < devices; ++v) t.devices[static_cast<size_t>(v)].group = map[v] == v ? -1 : map[v];
  Scenario s;
  s.topology = t;
  s.threads = {{}};
  if (std::string why = validate(s); !why.empty()) throw BadInput{"--device-groups: " + why};
}

}  // namespace

Topology topology_from(const TopologyFlags& f) {
  Topology t = default_topology();
  apply_counts(f, t);
  apply_groups(f, t);
  t.objects_per_page = f.objects_per_page;
  std::vector<int> im = parse_number_list(f.iommu_ops, "--iommu-ops", IOMMU_OPS_ALL, "an op set"),
                   dm = parse_number_list(f.domain_ops, "--domain-ops", DOMAIN_OPS_ALL, "an op set");
  for (size_t i = 0; i < im.size() && i < t.iommus.size(); ++i) t.iommus[i].ops = static_cast<impl::u8>(im[i]);
  for (size_t d = 0; d < dm.size() && d < t.domains.size(); ++d) t.domains[d].ops = static_cast<impl::u8>(dm[d]);
  return t;
}

}  // namespace luv::cli
