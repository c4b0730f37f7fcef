// Files luv writes for the user (reports, counterexamples, drawings): whole
// or not at all. Text goes to a temporary file beside the target, which is
// renamed over it once complete, so an interrupted or failed run leaves the
// earlier file (or none), never a truncated one.
#pragma once
#include <string>

namespace luv {

// Writes `text` to `path` atomically; false (and nothing left behind) when
// the directory cannot be written or the disk is full.
bool write_whole_file(const std::string& path, const std::string& text);

// Whether `path` could be written, checked without creating or touching it:
// its directory exists and is writable, and it is not itself a directory.
// Empty when it could; otherwise why not ("no such directory").
std::string cannot_write_reason(const std::string& path);

// Temporary files of writes still in progress; an interrupt handler removes
// them (async-signal-safe: unlink only).
void remove_unfinished_outputs();

}  // namespace luv
