// `luv verify`: every engine built in, on every shipped variant (or one),
// within a time budget; the matrix variant x property x engine; JSON, JUnit
// and SARIF reports; new counterexamples saved. Exit 0 only when every
// verdict is what is expected of the shipped variants: the reference holds
// everything, v2 / v2-warn violate exactly the properties the corpus has a
// file for (counterexamples/corpus/VARIANT.PROPERTY.json).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "verify/reports.h"
#include "verify/verify.h"

namespace luv::cli {

namespace {

struct verify_options {
  std::string variant;
  double budget = 150;
  std::string json, junit, sarif, save;
  std::string corpus;
  bool quiet = false;
};

// The progress line: rewritten in place on a terminal, silent otherwise.
class progress {
 public:
  progress(bool on, double budget) : on_(on && isatty(STDERR_FILENO)), budget_(budget) {}
  void show(const std::string& what, double elapsed) const {
    if (!on_) return;
    std::fprintf(stderr, "\r\033[K[verify %3.0fs / %3.0fs] %s", elapsed, budget_, what.c_str());
    std::fflush(stderr);
  }
  void done() const {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool on_;
  double budget_;
};

// --corpus, or counterexamples/corpus here, or in the source tree.
std::string corpus_dir(const std::string& given) {
  if (!given.empty()) return given;
  std::string dir = "counterexamples/corpus";
  if (!std::filesystem::is_directory(dir)) dir = std::string(LUV_SOURCE_DIR) + "/counterexamples/corpus";
  return dir;
}

Corpus corpus_at(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw BadInput{"--corpus: " + dir + " is not a directory"};
  try {
    return read_corpus(dir);
  } catch (const FormatError& e) {
    throw BadInput{e.message};
  }
}

// Every path checked, and --save created, before any work.
void prepare_outputs(const verify_options& o) {
  check_report_paths({{"--json", o.json}, {"--junit", o.junit}, {"--sarif", o.sarif}});
  if (o.save.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(o.save, ec);
  if (ec) throw BadInput{"--save: cannot create " + o.save};
}

void print_report(const VerifyReport& report, double budget, const std::string& corpus) {
  std::printf("luv verify: %zu variant(s), engines:", report.variants.size());
  for (const std::string& e : report.engines) std::printf(" %s", e.c_str());
  std::printf(", %.1f s (budget %.0f s), corpus %s\n", report.seconds, budget, corpus.c_str());
  std::fputs(matrix_text(report).c_str(), stdout);
  for (const std::string& n : report.notes) std::printf("note: %s\n", n.c_str());
}

void write_reports(const verify_options& o, const VerifyReport& report) {
  auto write = [](const std::string& path, const std::string& text) {
    if (!write_report(path, text)) throw BadInput{path + ": cannot write"};
  };
  if (!o.json.empty()) write(o.json, report_json(report).dump(2) + "\n");
  if (!o.junit.empty()) write(o.junit, report_junit(report));
  if (!o.sarif.empty()) write(o.sarif, report_sarif(report).dump(2) + "\n");
}

int verify_command(const verify_options& o) {
  VerifyOptions v;
  v.variants = variants_or_shipped(o.variant);
  prepare_outputs(o);
  std::string corpus = corpus_dir(o.corpus);
  v.corpus = corpus_at(corpus);
  v.budget_seconds = o.budget;
  v.save_dir = o.save;
  progress bar(!o.quiet, o.budget);
  v.phase = [](const std::string& what) { set_phase("verify " + what); };
  v.progress = [&bar](const std::string& what, double elapsed) { bar.show(what, elapsed); };
  v.checkpoint = [] { throw_if_interrupted(); };
  VerifyReport report = verify(v);
  bar.done();
  set_phase("verify writing the reports");
  throw_if_interrupted();
  print_report(report, o.budget, corpus);
  write_reports(o, report);
  int mismatches = 0;
  for (const MatrixCell& c : report.cells) mismatches += c.judgement == CellJudgement::mismatch;
  bool ok = report.passed();
  std::printf("%s: %d cell(s), %d differ from what is expected\n", ok ? "PASS" : "FAIL",
              static_cast<int>(report.cells.size()), mismatches);
  return ok ? EXIT_OK : EXIT_VIOLATION;
}

}  // namespace

LUV_COMMAND(verify, "verify",
            "Run every engine on every shipped variant within a budget; print the matrix; write reports") {
  auto o = std::make_shared<verify_options>();
  add_variant_option(cmd, o->variant, "Only this variant (exit 0 only when it holds everything)");
  cmd->add_option("--budget", o->budget, "Time budget in seconds for the whole run (engines are sized to it)")
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--json", o->json, "Write the matrix as JSON here");
  cmd->add_option("--junit", o->junit, "Write JUnit XML here (one testcase per variant, property, engine)");
  cmd->add_option("--sarif", o->sarif, "Write SARIF 2.1.0 here (each violation at its impl/ source line)");
  cmd->add_option("--save", o->save, "Save each engine's new counterexamples here (corpus format)");
  cmd->add_option("--corpus", o->corpus, "The corpus that says what to expect (default: counterexamples/corpus)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress line");
  return [o] { return verify_command(*o); };
}

}  // namespace luv::cli
