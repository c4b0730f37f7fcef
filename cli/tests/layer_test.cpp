// The folders are the layers (docs/DESIGN.md, "Layers"): an include names its
// folder, and no include points up a layer or across to a sibling engine.
// Tests obey the rule of the folder they test; bench/ sits above everything.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace luv {
namespace {

namespace fs = std::filesystem;

// Bottom to top. Folders of one rank are siblings and see only what is below.
const std::map<std::string, int>& ranks() {
  static const std::map<std::string, int> r = {
      {"impl", 0},  {"linux", 0},  // the kernel shims, found as "linux/..." like the kernel's headers
      {"model", 1}, {"properties", 2}, {"counterexamples", 3},
      {"check", 4}, {"explore", 4}, {"solver", 4},
      {"verify", 5}, {"cli", 6},   {"bench", 7},
  };
  return r;
}

std::string top_folder(const std::string& path) { return path.substr(0, path.find('/')); }

// Every "..." include of a file that breaks the layering, with why.
std::vector<std::string> layer_errors(const std::string& file, const std::string& text) {
  std::vector<std::string> out;
  const std::string here = top_folder(file);
  const int rank = ranks().at(here);
  static const std::regex include(R"re(#include\s+"([^"]+)")re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), include); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    if (target.find('/') == std::string::npos) {
      out.push_back(file + ": #include \"" + target + "\" does not name its folder");
      continue;
    }
    auto there = ranks().find(top_folder(target));
    if (there == ranks().end())
      out.push_back(file + ": #include \"" + target + "\" is in no layer");
    else if (there->second > rank)
      out.push_back(file + ": #include \"" + target + "\" points up, from " + here + " to " + there->first);
    else if (there->second == rank && there->first != here && there->first != "linux")
      out.push_back(file + ": #include \"" + target + "\" points across, from " + here + " to " + there->first);
  }
  return out;
}

std::vector<std::string> source_files() {
  std::vector<std::string> out;
  const fs::path root = LUV_SOURCE_ROOT;
  for (const auto& [folder, rank] : ranks()) {
    (void)rank;
    fs::path dir = folder == "linux" ? root / "impl/shim/linux" : root / folder;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".h" || ext == ".cpp"))
        out.push_back(fs::relative(e.path(), root).generic_string());
    }
  }
  return out;
}

TEST(Layers, the_rule_refuses_an_include_up_across_or_without_a_folder) {
  EXPECT_EQ(layer_errors("model/model.cpp", "#include \"impl/world.h\"\n#include \"linux/errno.h\"\n"),
            std::vector<std::string>{});
  EXPECT_EQ(layer_errors("impl/tests/flb_test.cpp", "#include \"properties/runner.h\""),
            std::vector<std::string>{
                "impl/tests/flb_test.cpp: #include \"properties/runner.h\" points up, from impl to properties"});
  EXPECT_EQ(layer_errors("explore/explore.cpp", "#include \"check/check.h\""),
            std::vector<std::string>{
                "explore/explore.cpp: #include \"check/check.h\" points across, from explore to check"});
  EXPECT_EQ(layer_errors("cli/main.cpp", "#include \"command.h\""),
            std::vector<std::string>{"cli/main.cpp: #include \"command.h\" does not name its folder"});
}

TEST(Layers, no_include_in_the_tree_points_up_or_across) {
  std::vector<std::string> files = source_files();
  ASSERT_GT(files.size(), 100u) << "the source tree was not found at " << LUV_SOURCE_ROOT;
  std::vector<std::string> errors;
  for (const std::string& f : files) {
    std::ifstream in(fs::path(LUV_SOURCE_ROOT) / f);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::string& e : layer_errors(f, text)) errors.push_back(std::move(e));
  }
  std::string all;
  for (const std::string& e : errors) all += e + "\n";
  EXPECT_TRUE(errors.empty()) << all;
}

}  // namespace
}  // namespace luv
