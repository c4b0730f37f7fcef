// Files luv writes: whole or not at all, and output paths judged before work.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "counterexamples/output_file.h"

namespace luv {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct OutputFile : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("luv_output_file_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {})); }
};

TEST_F(OutputFile, a_write_replaces_the_whole_file_and_leaves_no_temporary) {
  fs::path p = dir / "report.json";
  std::ofstream(p) << "an earlier, longer report\n";
  ASSERT_TRUE(write_whole_file(p.string(), "new\n"));
  EXPECT_EQ(slurp(p), "new\n");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(OutputFile, a_failed_write_leaves_the_earlier_file_alone) {
  fs::path p = dir / "missing" / "report.json";
  EXPECT_FALSE(write_whole_file(p.string(), "x"));
  EXPECT_FALSE(fs::exists(p));
  fs::path kept = dir / "kept.json";
  std::ofstream(kept) << "earlier";
  fs::create_directory(dir / "kept.json.d");
  EXPECT_FALSE(write_whole_file((dir / "kept.json.d").string(), "x"));  // a directory is not replaced
  EXPECT_EQ(slurp(kept), "earlier");
}

TEST_F(OutputFile, unwritable_paths_are_named_before_any_work_and_nothing_is_created) {
  EXPECT_EQ(cannot_write_reason((dir / "new.json").string()), "");
  EXPECT_NE(cannot_write_reason((dir / "no" / "new.json").string()).find("no such directory"), std::string::npos);
  EXPECT_EQ(cannot_write_reason(dir.string()), "is a directory");
  EXPECT_EQ(entries(), 0u);
}

TEST_F(OutputFile, an_interrupt_removes_the_temporary_of_a_write_in_progress) {
  // The handler's cleanup with no write in progress removes nothing.
  std::ofstream(dir / "a.json") << "a";
  remove_unfinished_outputs();
  EXPECT_EQ(entries(), 1u);
}

}  // namespace
}  // namespace luv
