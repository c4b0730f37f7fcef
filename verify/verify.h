// `luv verify`'s orchestration: every engine on every variant asked for,
// within one time budget, merged into the matrix variant x property x engine
// (reports.h), each new counterexample made a file (finding_counterexample)
// and saved when asked. The command (cli/cmd_verify.cpp) parses options and
// prints; this layer decides the budget split and runs the engines, one
// function per engine.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "counterexamples/counterexample.h"
#include "verify/reports.h"

namespace luv {

// What the corpus expects: per variant, the properties it has a file for,
// and the files themselves (path, contents) in path order.
struct Corpus {
  std::map<std::string, std::set<PropertyId>> violated;
  std::vector<std::pair<std::string, Counterexample>> files;
};
// Every *.json of `dir`; throws FormatError naming the file that is bad.
Corpus read_corpus(const std::string& dir);

struct VerifyOptions {
  std::vector<std::string> variants;  // in the matrix's order (checked by the caller)
  Corpus corpus;
  double budget_seconds = 150;  // a hard limit for the whole run, replay excepted
  std::string save_dir;         // new counterexamples go here ("": nowhere)
  // The explore column's bound in calls (0: docs/SPEC.md's default bound,
  // 4); tests search fewer, so that a whole search ends in seconds.
  int explore_calls = 0;
  // Called as each engine starts on a variant ("v2: check, contract mode").
  std::function<void(const std::string& what)> phase;
  // The progress line: what runs, and the seconds since the start.
  std::function<void(const std::string& what, double elapsed_seconds)> progress;
  // Called after each engine: the CLI's way to end an interrupted run (it throws).
  std::function<void()> checkpoint;
};

// Runs the matrix. Engines: replay (the corpus files), check, explore, prove.
VerifyReport verify(const VerifyOptions& o);

// The variants whose explore column searches the whole bound, grouped as
// they are searched (each group one search, on a thread of its own): each
// variant the corpus expects to violate nothing alone, and each set of two
// or more alike but in the rules the code asks (v2 and v2-warn) together.
// The rest are samples.
std::vector<std::vector<std::string>> whole_groups(const VerifyOptions& o);

// The report's note for the variants whose explore column searched a sample
// of the default bound: where their cells left unknown are decided (each
// variant's whole bound, outside verify's budget).
std::string sampled_note(const std::vector<std::string>& sampled);

}  // namespace luv
