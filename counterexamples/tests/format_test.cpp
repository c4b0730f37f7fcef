// The counterexample format: the writer's text reads back to the same
// value, and the reader names the field at fault.
#include <gtest/gtest.h>

#include <filesystem>

#include "counterexamples/counterexample.h"

namespace luv {
namespace {

std::string corpus(const std::string& name) { return std::string(LUV_CORPUS_DIR) + "/" + name; }

TEST(CounterexampleFormat, every_corpus_file_round_trips_through_the_writer) {
  for (const auto& e : std::filesystem::directory_iterator(LUV_CORPUS_DIR)) {
    Counterexample c = read_counterexample_file(e.path().string());
    Counterexample back = read_counterexample_text(counterexample_to_text(c), "round trip");
    EXPECT_EQ(back.scenario, c.scenario) << e.path();
    EXPECT_EQ(back.expected, c.expected) << e.path();
    EXPECT_EQ(back.description, c.description) << e.path();
    EXPECT_EQ(back.found_by, c.found_by) << e.path();
  }
}

TEST(CounterexampleFormat, a_plain_scenario_is_not_a_counterexample) {
  std::string text = R"({"format":1,"variant":"v2","mode":"contract",
    "topology":{"iommus":[{}],"domains":[{}],"devices":[{"iommu":0}]},"threads":[[{"call":"iommufd_preserve","domain":0}]],
    "description":"x"})";
  try {
    read_counterexample_text(text, "plain.json");
    FAIL() << "accepted a file without expected";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.message.rfind("plain.json: expected: missing", 0), 0u) << e.message;
  }
}

TEST(CounterexampleFormat, scenario_reader_still_reads_counterexample_files) {
  Counterexample c = read_counterexample_file(corpus("v2.no-leak.json"));
  Scenario s = scenario_from_json(parse_json_text(counterexample_to_text(c)));
  EXPECT_EQ(s, c.scenario);
}

TEST(CounterexampleFormat, verdict_mismatch_names_what_differs) {
  Verdict v;
  v.violation = Violation{PropertyId::no_leak, 9, 0, 2, "m", ""};
  ExpectedVerdict e = expected_from(v);
  EXPECT_EQ(verdict_mismatch(e, v), "");
  e.call = 1;
  EXPECT_EQ(verdict_mismatch(e, v), "no-leak replayed with a different call 1 -> 2");
  e = expected_from(v);
  e.message.reset();  // no message: not compared
  v.violation->message = "other";
  EXPECT_EQ(verdict_mismatch(e, v), "");
  EXPECT_EQ(verdict_mismatch(ExpectedVerdict{}, v), "expected ok; replayed no-leak at step 9, T0 call 2: other");
  EXPECT_EQ(verdict_mismatch(ExpectedVerdict{}, Verdict{}), "");
}

TEST(CounterexampleFormat, writer_puts_one_thread_per_line) {
  Counterexample c = read_counterexample_file(corpus("v2.no-dangling.json"));
  std::string text = counterexample_to_text(c);
  EXPECT_NE(text.find("\n    [{\"call\":\"iommufd_unpreserve\",\"domain\":0}]\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"format\": 1"), 4u) << "format first";
}

}  // namespace
}  // namespace luv

namespace luv {
namespace {

// FORMAT.md's limits: before them, 33 threads crashed the Runner (a 32-bit
// thread mask) and 50,000 calls aborted it (its step limit); now each is a
// one-line error naming the field, the value and the limit.
std::string limit_error(const std::string& threads_json) {
  std::string text = R"({"format":1,"variant":"v2","mode":"adversarial",
    "topology":{"iommus":[{}],"domains":[{}],"devices":[{"iommu":0}]},"threads":)" +
                     threads_json + R"(,"description":"x","expected":{"verdict":"ok"}})";
  try {
    read_counterexample_text(text, "limits.json");
  } catch (const FormatError& e) {
    return e.message;
  }
  return "";
}

std::string repeated(const std::string& item, int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + item;
  return out + "]";
}

TEST(CounterexampleFormat, limits_are_checked_when_a_file_is_read) {
  std::string call = R"({"call":"luo_preserve_file","file":0})";
  EXPECT_NE(limit_error(repeated("[" + call + "]", SCENARIO_THREADS_MAX + 17))
                .find("threads: 33 is more than the limit of 16"),
            std::string::npos);
  EXPECT_NE(limit_error("[" + repeated(call, SCENARIO_CALLS_PER_THREAD_MAX + 1) + "]")
                .find("threads[0]: 10001 is more than the limit of 10000"),
            std::string::npos);
  // Within each thread's limit, over the limit of all threads together.
  std::string half = repeated(call, SCENARIO_CALLS_MAX / 2);
  EXPECT_NE(limit_error("[" + half + "," + half + ",[" + call + "]]")
                .find("threads (calls in all): 10001 is more than the limit of 10000"),
            std::string::npos);
  EXPECT_EQ(limit_error(repeated("[" + call + "]", SCENARIO_THREADS_MAX)), "");  // at the limit: fine
  EXPECT_EQ(limit_error("[" + half + "," + half + "]"), "");
}


// The JSON form: the topology's sessions and a teardown's session number
// survive a round trip; a file without sessions reads as one per file.
TEST(Format, sessions_and_teardown_round_trip_through_json) {
  Scenario s;
  s.topology = default_topology();
  s.topology.sessions = {0, 1, 0, 0, 1};
  Call release{CallKind::luo_session_release, -1, -1, -1};
  release.session = 0;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, release}};

  nlohmann::json j = scenario_to_json(s);

  EXPECT_EQ(j["topology"]["sessions"], nlohmann::json({0, 1, 0, 0, 1}));
  EXPECT_EQ(j["threads"][0][1], nlohmann::json({{"call", "luo_session_release"}, {"session", 0}}));
  EXPECT_EQ(scenario_from_json(j), s);
  s.topology = default_topology();
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}};
  j = scenario_to_json(s);
  EXPECT_FALSE(j["topology"].contains("sessions"));
  EXPECT_EQ(scenario_from_json(j).topology.sessions, std::vector<int>{});
}

// IOMMU groups: a device's "group" (an earlier device whose group it joins)
// survives a round trip, and is left out for a device in its own group.
TEST(Format, groups_round_trip_through_json) {
  Scenario s;
  s.topology = default_topology();
  s.topology.devices[2].group = 1;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}};

  nlohmann::json j = scenario_to_json(s);

  EXPECT_EQ(j["topology"]["devices"][2]["group"], 1);
  EXPECT_FALSE(j["topology"]["devices"][1].contains("group"));
  EXPECT_EQ(scenario_from_json(j), s);
}

// validate(): each wrong group is one line naming the device's field.
TEST(Format, a_wrong_group_is_named_at_its_device) {
  Scenario s;
  s.topology = default_topology();
  s.topology.devices = {DeviceSpec{0}, DeviceSpec{0}, DeviceSpec{0}};
  s.threads = {{}};
  s.topology.devices[1].group = 1;
  EXPECT_EQ(validate(s), "topology.devices[1].group: 1 is not an earlier device (a device joins the group of one before it)");
  s.topology.devices[1].group = 0;
  s.topology.devices[2].group = 1;
  EXPECT_EQ(validate(s), "topology.devices[2].group: device 1 is itself in another device's group; name that one");
  s.topology.devices[2].group = 0;
  s.topology.devices[2].dma_owner = false;
  EXPECT_EQ(validate(s), "topology.devices[2].dma_owner: differs from its group's (device 0); a group has one DMA owner");
  s.topology.devices[2].dma_owner = true;
  s.topology.devices[2].iommu = 1;
  EXPECT_EQ(validate(s), "topology.devices[2].iommu: differs from its group's (device 0); a group is behind one IOMMU");
  s.topology.devices[2].iommu = 0;
  s.topology.devices[2].group = -5;
  EXPECT_EQ(validate(s), "topology.devices[2].group: -5 is not a device (-1: its own group)");
  s.topology.devices[2].group = 0;
  EXPECT_EQ(validate(s), "");
}

}  // namespace
}  // namespace luv
