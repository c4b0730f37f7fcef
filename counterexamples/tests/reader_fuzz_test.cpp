// Robustness of the reader: random bytes and mutated corpus files give a
// clean one-line FormatError naming the file, or a Counterexample whose
// Scenario is valid and runs. Never a crash, never another exception.
// A seeded loop, so a failure reproduces: the seed and case are printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "counterexamples/counterexample.h"

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
    run(c.scenario, RunOptions{});  // must not throw on a Scenario the reader accepted
    return "";
  } catch (const FormatError& e) {
    if (e.message.rfind("fuzz.json: ", 0) != 0) return "error does not name the file: " + e.message;
    if (e.message.find('\n') != std::string::npos) return "error is not one line: " + e.message;
    if (e.message.size() <= std::string("fuzz.json: ").size()) return "empty error";
    for (char ch : e.message)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return "error has a control character: " + e.message;
    if (e.message.size() > FORMAT_ERROR_MAX + 3) return "error is longer than FORMAT_ERROR_MAX";
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

// Every object of a JSON value, by pointer, for picking one at random.
void objects_of(nlohmann::json& j, std::vector<nlohmann::json*>& out) {
  if (j.is_object()) out.push_back(&j);
  if (j.is_structured())
    for (auto& child : j) objects_of(child, out);
}

// A corpus file with one structural typo the reader must refuse: a key
// misspelt, an unknown key added, or a key given twice, in a random object
// at any depth.
std::string with_typo(const std::string& text, std::mt19937& rng) {
  nlohmann::json j = nlohmann::json::parse(text);
  std::vector<nlohmann::json*> objects;
  objects_of(j, objects);
  nlohmann::json& obj = *objects[rng() % objects.size()];
  std::string key = obj.empty() ? "ops" : std::next(obj.begin(), static_cast<long>(rng() % obj.size())).key();
  switch (rng() % 3) {
    case 0: {  // misspelt: one letter doubled
      nlohmann::json value = obj.empty() ? nlohmann::json::array() : obj[key];
      obj.erase(key);
      obj[key.substr(0, 1) + key] = value;
      return j.dump();
    }
    case 1:
      obj["x" + key] = 0;
      return j.dump();
    default: {  // given twice: the text of the object with the key written again
      if (obj.empty()) obj[key] = nlohmann::json::array();
      nlohmann::json value = obj[key];
      nlohmann::json marker = "@@twice@@";  // where the object goes in the text
      obj.swap(marker);
      std::string out = j.dump();
      std::string body = "{\"" + key + "\":" + value.dump() + ",\"" + key + "\":" + value.dump() + "}";
      out.replace(out.find("\"@@twice@@\""), 11, body);
      return out;
    }
  }
}

TEST(ReaderFuzz, a_typo_at_any_depth_is_refused_never_ignored) {
  std::vector<std::string> texts = corpus_texts();
  std::mt19937 rng(1717);
  for (int i = 0; i < 3000; ++i) {
    std::string text = with_typo(texts[rng() % texts.size()], rng);
    try {
      read_counterexample_text(text, "fuzz.json");
      FAIL() << "case " << i << ": a typo was accepted:\n" << text;
    } catch (const FormatError& e) {
      ASSERT_EQ(read_cleanly(text), "") << "case " << i;
    }
  }
}

TEST(ReaderFuzz, files_past_the_limits_are_refused_with_the_field) {
  nlohmann::json j = nlohmann::json::parse(corpus_texts().front());
  nlohmann::json call = j["threads"][0][0];
  nlohmann::json wide = j, long_thread = j;
  wide["threads"] = nlohmann::json::array();
  for (int t = 0; t < 33; ++t) wide["threads"].push_back(nlohmann::json::array({call}));
  wide["schedule"] = nlohmann::json::array();
  long_thread["threads"] = nlohmann::json::array({nlohmann::json::array()});
  for (int c = 0; c <= SCENARIO_CALLS_MAX; ++c) long_thread["threads"][0].push_back(call);
  long_thread["schedule"] = nlohmann::json::array();
  for (const auto& [big, count] : {std::pair{wide, std::string("33")}, std::pair{long_thread, std::to_string(SCENARIO_CALLS_MAX + 1)}}) {
    nlohmann::json file = big;
    file["expected"] = {{"verdict", "ok"}};
    std::string text = file.dump();
    try {
      read_counterexample_text(text, "fuzz.json");
      FAIL() << "a file past the limits was accepted";
    } catch (const FormatError& e) {
      EXPECT_EQ(e.message.find("fuzz.json: threads"), 0u) << e.message;  // the field, the value, the limit
      EXPECT_NE(e.message.find(count), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("limit"), std::string::npos) << e.message;
    }
  }
}

}  // namespace
}  // namespace luv
