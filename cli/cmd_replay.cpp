// `luv replay FILE...`: replay counterexample files and judge each again
// (Runner, model, Z3 encoding, whichever are built). Exit 0 only when every
// file replays to its expected verdict and no judge disagrees; 1 otherwise;
// 2 when a file cannot be read.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "verify/judges.h"

namespace luv::cli {

LUV_COMMAND(replay, "replay", "Replay counterexample files; exit 0 only when each gives its expected verdict") {
  struct options {
    std::vector<std::string> paths;
    bool quiet = false;
    bool bless = false;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("FILE", o->paths, "Counterexample files (FORMAT.md)")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "Print only one line per file");
  cmd->add_flag("--bless", o->bless,
                "Rewrite each file's expected verdict from its replay (after a change meant to alter it; review the diff)");
  return [o] {
    std::vector<Judge> judges = linked_judges();
    int bad = 0, failed = 0, passed = 0;
    for (const std::string& path : o->paths) {
      Counterexample c;
      try {
        c = read_counterexample_file(path);
      } catch (const FormatError& e) {
        std::fprintf(stderr, "luv: %s\n", e.message.c_str());
        ++bad;
        continue;
      }
      if (o->bless) {
        RunOptions options;
        options.properties = c.checked;
        bool path_asserted = c.expected.steps || !c.expected.returns.empty();
        RunResult r = run(c.scenario, options);
        c.expected = expected_from(r.verdict);
        if (path_asserted) c.expected = with_path(c.expected, r);
        if (path_asserted) c.expected.returns.resize(c.scenario.threads.size());
        if (!write_counterexample_file(path, c)) throw BadInput{path + ": cannot write"};
        std::printf("blessed %s: %s\n", path.c_str(), describe_expected(c.expected).c_str());
        continue;
      }
      ReplayReport r = replay(c, judges, !o->quiet);
      if (!o->quiet) {
        std::printf("== %s\n== %s\n", path.c_str(), c.description.c_str());
        for (const std::string& line : r.result.trace) std::puts(line.c_str());
      }
      std::string judged;
      for (const std::string& j : r.judges) judged += (judged.empty() ? "" : ", ") + j;
      for (const std::string& n : r.not_judging) judged += "; not judging: " + n;
      if (r.passed()) {
        ++passed;
        std::printf("PASS %s: %s [judges: %s]\n", path.c_str(), describe_expected(c.expected).c_str(), judged.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s: %s [judges: %s]\n", path.c_str(),
                    (r.mismatch.empty() ? r.disagreement->message : r.mismatch).c_str(), judged.c_str());
        if (!r.mismatch.empty() && r.disagreement) std::printf("     and %s\n", r.disagreement->message.c_str());
      }
    }
    std::printf("replay: %d passed, %d failed, %d unreadable\n", passed, failed, bad);
    if (bad) return EXIT_BAD_INPUT;
    return failed ? EXIT_VIOLATION : EXIT_OK;
  };
}

}  // namespace luv::cli
