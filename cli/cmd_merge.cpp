// `luv merge FILE...`: the --json reports of the N shards of one `luv
// explore`, `luv check` or `luv mutants` run (--shard i/N), combined into the
// report and exit code one run would give. The shards' headers are checked
// here (one command, one N, the same options, each shard once); the command
// that wrote them merges their data (shard.h).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/shard.h"
#include "counterexamples/counterexample.h"

namespace luv::cli {

namespace {

struct merge_flags {
  std::vector<std::string> files;
  std::string json_out, cx_dir;
};

// A shard report, read; BadInput naming the file when it is none.
ShardFile read_shard_file(const std::string& path) {
  ShardFile f;
  f.path = path;
  try {
    f.report = parse_json_text(read_text_file(path));
  } catch (const FormatError& e) {
    throw BadInput{e.message.rfind(path, 0) == 0 ? e.message : path + ": " + e.message};
  }
  if (!f.report.is_object() || !f.report.contains("shard") || !f.report["shard"].is_object())
    throw BadInput{path + ": not a shard report (no \"shard\" object: run the command with --shard i/N --json FILE)"};
  f.shard = f.report["shard"];
  read_shard(f, [&](const nlohmann::json& s) {
    int i = s.at("index"), n = s.at("count");
    if (!s.at("command").is_string() || !s.at("options").is_object() || i < 1 || n < 1 || i > n)
      throw BadInput{path + ": shard: a bad header (command, index, count, options)"};
  });
  return f;
}

std::string shard_name(const ShardFile& f) {
  return "shard " + f.shard["index"].dump() + "/" + f.shard["count"].dump();
}

// "" when `b`'s options are `a`'s, else the first that differs, named.
std::string options_difference(const nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& [key, value] : a.items())
    if (!b.contains(key) || b[key] != value)
      return key + " is " + (b.contains(key) ? b[key].dump() : "missing") + ", not " + value.dump();
  for (const auto& [key, value] : b.items())
    if (!a.contains(key)) return key + " is " + value.dump() + ", not missing";
  return "";
}

// `b` against the first shard `a`: the same command, N and options.
void check_same_run(const ShardFile& a, const ShardFile& b) {
  std::string command = a.shard["command"], other = b.shard["command"];
  if (command != other)
    throw BadInput{b.path + ": a shard of luv " + other + ", not of luv " + command + " like " + a.path};
  if (a.shard["count"] != b.shard["count"])
    throw BadInput{b.path + ": " + shard_name(b) + ", but " + a.path + " is " + shard_name(a)};
  if (std::string diff = options_difference(a.shard["options"], b.shard["options"]); !diff.empty())
    throw BadInput{b.path + ": not the run of " + a.path + ": option " + diff};
}

// The files in shard order: each shard of the run once, none missing.
std::vector<ShardFile> shards_in_order(const std::vector<std::string>& paths) {
  std::vector<ShardFile> files;
  for (const std::string& p : paths) files.push_back(read_shard_file(p));
  for (const ShardFile& f : files) check_same_run(files.front(), f);
  std::vector<std::optional<ShardFile>> by_index(files.front().shard["count"].get<size_t>());
  for (ShardFile& f : files) {
    auto& slot = by_index[f.shard["index"].get<size_t>() - 1];
    if (slot) throw BadInput{f.path + ": " + shard_name(f) + " given twice (also " + slot->path + ")"};
    slot = std::move(f);
  }
  std::string missing;
  for (size_t i = 0; i < by_index.size(); ++i)
    if (!by_index[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i + 1) + "/" + std::to_string(by_index.size());
  if (!missing.empty()) throw BadInput{"merge: shard(s) " + missing + " missing"};
  std::vector<ShardFile> out;
  for (auto& f : by_index) out.push_back(std::move(*f));
  return out;
}

int merge_command(const merge_flags& o) {
  std::vector<ShardFile> shards = shards_in_order(o.files);
  std::string command = shards.front().shard["command"];
  const Merger* merge = merger_of(command);
  if (!merge) throw BadInput{shards.front().path + ": shard of an unknown command '" + command + "'"};
  return (*merge)(shards, MergeOutput{o.json_out, o.cx_dir});
}

}  // namespace

LUV_COMMAND(merge, "merge", "Combine the --json reports of --shard i/N runs into the report one run would give") {
  auto o = std::make_shared<merge_flags>();
  cmd->add_option("files", o->files, "the N shards' --json reports of one luv explore, check or mutants run")
      ->required();
  cmd->add_option("--json", o->json_out, "write the merged report here (explore: counterexamples beside it)");
  cmd->add_option("--counterexamples", o->cx_dir,
                  "explore: folder for counterexample files (default: beside --json); check: where to save them");
  return [o] { return merge_command(*o); };
}

}  // namespace luv::cli
