// --shard i/N for `luv explore`, `luv check` and `luv mutants`, and
// `luv merge`, which turns the N shards' JSON reports into the report (and
// the exit code) one run would give (docs/DESIGN.md, "Shards").
//
// A shard's --json report is its own report of the part it ran, plus a
// "shard" object: the command, i and N, the options every shard must share,
// and what a merge needs (explore: each op-set choice's stats and findings;
// check: its tallies and findings; mutants: its rows). Each command writes
// its object and registers how to merge them (register_merger), so `luv
// merge` checks the headers and knows no command's data.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "properties/property.h"
#include "properties/runner.h"

namespace luv::cli {

struct Shard {
  int index = 1, count = 1;
  bool given = false;  // --shard was given (1/1 too): the report carries its "shard" object
};

// --shard i/N; `unit` says what is split ("the op-set choices").
CLI::Option* add_shard_option(CLI::App* cmd, std::string& text, const std::string& unit);
// "" (not given) or "i/N" with 1 <= i <= N; BadInput "--shard: 'x' is not
// i/N with 1 <= i <= N" otherwise.
Shard parse_shard(const std::string& text);

// A report's "shard" object: command, index, count, options, then `data`'s members.
nlohmann::ordered_json shard_json(const char* command, const Shard& s, nlohmann::ordered_json options,
                                  const nlohmann::ordered_json& data);

// One shard report, its "shard" object, and the file it came from.
struct ShardFile {
  std::string path;
  nlohmann::json report, shard;
};
// Runs `read` on the shard's object; a JSON or format error in it becomes
// BadInput "PATH: what", so a bad file is named.
void read_shard(const ShardFile& f, const std::function<void(const nlohmann::json&)>& read);

// What `luv merge` was asked to write: --json OUT, --counterexamples DIR.
struct MergeOutput {
  std::string json_out, cx_dir;
};
// Merges one command's N shards, given in shard order (same command, count
// and options, checked by `luv merge`): prints and writes what one run of
// the command would, and returns its exit code.
using Merger = std::function<int(const std::vector<ShardFile>& shards, const MergeOutput& out)>;
bool register_merger(const char* command, Merger merger);
const Merger* merger_of(const std::string& command);  // null: no such command

// What shards carry, both ways: a violation with its kernel snapshot (the
// reports' violation_json leaves it out), a property set as its ids.
nlohmann::ordered_json full_violation_json(const Violation& v);
Violation violation_from_json(const nlohmann::json& j);
nlohmann::ordered_json property_set_json(const PropertySet& s);
PropertySet property_set_from_json(const nlohmann::json& j);

}  // namespace luv::cli
