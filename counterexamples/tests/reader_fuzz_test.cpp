// Robustness of the reader: random bytes and mutated corpus files give a
// clean one-line FormatError naming the file, or a Counterexample whose
// Scenario is valid and runs. Never a crash, never another exception.
// A seeded loop, so a failure reproduces: the seed and case are printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "counterexample.h"

namespace luv {
namespace {

std::vector<std::string> corpus_texts() {
  std::vector<std::string> texts;
  for (const auto& e : std::filesystem::directory_iterator(LUV_CORPUS_DIR)) {
    std::ifstream in(e.path());
    std::ostringstream s;
    s << in.rdbuf();
    texts.push_back(s.str());
  }
  std::sort(texts.begin(), texts.end());
  return texts;
}

// The outcome of reading one text: "" when it was handled cleanly, else why not.
std::string read_cleanly(const std::string& text) {
  try {
    Counterexample c = read_counterexample_text(text, "fuzz.json");
    if (!validate(c.scenario).empty()) return "accepted an invalid Scenario: " + validate(c.scenario);
    if (c.description.find('\n') != std::string::npos) return "accepted a two-line description";
    RunOptions o;
    o.steps_max = 10000;
    run(c.scenario, o);  // must not throw on a Scenario the reader accepted
    return "";
  } catch (const FormatError& e) {
    if (e.message.rfind("fuzz.json: ", 0) != 0) return "error does not name the file: " + e.message;
    if (e.message.find('\n') != std::string::npos) return "error is not one line: " + e.message;
    if (e.message.size() <= std::string("fuzz.json: ").size()) return "empty error";
    return "";
  } catch (const std::exception& e) {
    return std::string("threw ") + typeid(e).name() + ": " + e.what();
  }
}

const char* kTokens[] = {"{",     "}",     "[",        "]",  ",",     ":",  "\"",  "null", "true", "-1",
                         "99999", "1e308", "\"x\"",    "0",  "[]",    "{}", "\\u0000", "2147483648",
                         "-",     "\"step\"", "\"threads\"", "\"call\"", "\xff", "\"ops\""};

std::string mutate(std::string text, std::mt19937& rng) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    size_t at = rng() % text.size();
    switch (rng() % 6) {
      case 0: text[at] = static_cast<char>(rng() % 256); break;                        // flip a byte
      case 1: text.erase(at, 1 + rng() % 16); break;                                   // delete a run
      case 2: text.insert(at, kTokens[rng() % std::size(kTokens)]); break;             // insert a token
      case 3: text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 40)); break;  // duplicate a piece
      case 4: {  // change a number
        size_t d = text.find_first_of("0123456789", at);
        if (d != std::string::npos) text.replace(d, 1, std::to_string(static_cast<int>(rng() % 200) - 50));
        break;
      }
      case 5: text.resize(at); break;  // truncate
    }
  }
  return text;
}

TEST(ReaderFuzz, random_bytes_give_a_clean_error) {
  std::mt19937 rng(20260506);
  for (int i = 0; i < 5000; ++i) {
    std::string text(rng() % 300, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    std::string why = read_cleanly(text);
    ASSERT_EQ(why, "") << "case " << i;
  }
}

TEST(ReaderFuzz, mutated_corpus_files_give_a_clean_error_or_a_valid_scenario) {
  std::vector<std::string> texts = corpus_texts();
  ASSERT_FALSE(texts.empty());
  std::mt19937 rng(4016);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = mutate(texts[rng() % texts.size()], rng);
    std::string why = read_cleanly(text);
    ASSERT_EQ(why, "") << "case " << i << ":\n" << text;
    bool ok = true;
    try {
      read_counterexample_text(text, "fuzz.json");
    } catch (const FormatError&) {
      ok = false;
    }
    (ok ? accepted : refused)++;
  }
  // Both outcomes occur, or the mutations are not exercising the reader.
  EXPECT_GT(accepted, 300);
  EXPECT_GT(refused, 5000);
}

}  // namespace
}  // namespace luv
