// Interrupts (SIGINT, SIGTERM) for every command, in one place. The first
// signal requests a stop (properties/stop.h): the engines stop as at their
// deadline, Z3 queries are interrupted, and the command ends by throwing
// Interrupted, which main turns into one line on stderr naming what was cut,
// the removal of the reports the run was to write, and exit code 130. A
// watchdog does the same if the command has not ended within a second of
// the signal, and a second signal does it at once. No signal handler runs:
// a watcher thread takes the signals (interrupt.cpp says why).
//
// An interrupted run writes no report: every path given to will_write() is
// removed, a report an earlier run left there included, so that nothing at
// those paths passes for this run's result.
#pragma once
#include <string>

namespace luv::cli {

inline constexpr int EXIT_INTERRUPTED = 130;

// Installs the handlers and starts the watcher thread (main, once).
void install_interrupt_handling();

// What runs now, for the interrupt's line: "verify v2: explore (contract mode)".
void set_phase(const std::string& what);

// A report the command will write (after checking the path, before any work).
void will_write(const std::string& path);

// Writes a report whole (output_file.h) unless a stop was requested (then
// Interrupted); false when it cannot be written. Serialised with the removal
// of reports, so an interrupt never leaves one behind.
bool write_report(const std::string& path, const std::string& text);

struct Interrupted {};
// Throws Interrupted once a stop was requested: commands call it between
// phases and before they print verdicts or write reports.
void throw_if_interrupted();

// The line, the reports removed, exit 130 (main, on Interrupted).
[[noreturn]] void exit_interrupted();

}  // namespace luv::cli
