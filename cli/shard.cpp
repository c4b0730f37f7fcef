// --shard and what `luv merge` shares with the sharded commands (shard.h).
#include "cli/shard.h"

#include <cstdlib>
#include <map>

#include "cli/command.h"
#include "counterexamples/scenario_json.h"

namespace luv::cli {

CLI::Option* add_shard_option(CLI::App* cmd, std::string& text, const std::string& unit) {
  return cmd->add_option("--shard", text,
                         "run shard i of N (i/N, 1 <= i <= N): " + unit +
                             " i-1, i-1+N, ...; `luv merge` combines the N --json reports into one run's");
}

namespace {

// A whole decimal number in 1..1,000,000, or -1.
int shard_number(const std::string& text) {
  char* end = nullptr;
  long v = text.empty() || text[0] == '-' || text[0] == '+' ? -1 : std::strtol(text.c_str(), &end, 10);
  return v >= 1 && v <= 1000000 && end && *end == '\0' ? static_cast<int>(v) : -1;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  size_t slash = text.find('/');
  Shard s;
  s.given = true;
  s.index = slash == std::string::npos ? -1 : shard_number(text.substr(0, slash));
  s.count = slash == std::string::npos ? -1 : shard_number(text.substr(slash + 1));
  if (s.index < 1 || s.count < 1 || s.index > s.count)
    throw BadInput{"--shard: '" + text + "' is not i/N with 1 <= i <= N"};
  return s;
}

nlohmann::ordered_json shard_json(const char* command, const Shard& s, nlohmann::ordered_json options,
                                  const nlohmann::ordered_json& data) {
  nlohmann::ordered_json j = {{"command", command}, {"index", s.index}, {"count", s.count}, {"options", std::move(options)}};
  for (const auto& [key, value] : data.items()) j[key] = value;
  return j;
}

void read_shard(const ShardFile& f, const std::function<void(const nlohmann::json&)>& read) {
  try {
    read(f.shard);
  } catch (const nlohmann::json::exception& e) {
    throw BadInput{f.path + ": shard: " + e.what()};
  } catch (const FormatError& e) {
    throw BadInput{f.path + ": shard: " + e.message};
  }
}

namespace {
std::map<std::string, Merger>& mergers() {
  static std::map<std::string, Merger> all;
  return all;
}
}  // namespace

bool register_merger(const char* command, Merger merger) {
  mergers()[command] = std::move(merger);
  return true;
}

const Merger* merger_of(const std::string& command) {
  auto it = mergers().find(command);
  return it == mergers().end() ? nullptr : &it->second;
}

nlohmann::ordered_json full_violation_json(const Violation& v) {
  return {{"property", property_name(v.property)}, {"step", v.step}, {"thread", v.thread},
          {"call", v.call}, {"message", v.message}, {"snapshot", v.snapshot}};
}

namespace {
PropertyId property_from(const nlohmann::json& name) {
  PropertyId id;
  if (!property_parse(name.get<std::string>(), id)) format_error("property", "unknown property '" + name.get<std::string>() + "'");
  return id;
}
}  // namespace

Violation violation_from_json(const nlohmann::json& j) {
  return {property_from(j.at("property")), j.at("step").get<int>(), j.at("thread").get<int>(),
          j.at("call").get<int>(), j.at("message").get<std::string>(), j.at("snapshot").get<std::string>()};
}

nlohmann::ordered_json property_set_json(const PropertySet& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int p = 0; p < PROPERTY_COUNT; ++p)
    if (s.test(static_cast<size_t>(p))) out.push_back(property_name(static_cast<PropertyId>(p)));
  return out;
}

PropertySet property_set_from_json(const nlohmann::json& j) {
  PropertySet s;
  for (const auto& name : j) s.set(static_cast<size_t>(property_from(name)));
  return s;
}

}  // namespace luv::cli
