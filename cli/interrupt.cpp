#include "cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "counterexamples/output_file.h"
#include "properties/stop.h"

namespace luv::cli {

// SIGINT and SIGTERM are blocked in every thread and taken by one watcher
// thread with sigwait(), so no handler runs: not ours, and not the one Z3
// installs around a query (its scoped_ctrl_c, on by default for any solver,
// ours or a library's) which would take the signal for itself and cancel
// just that query.

namespace {

std::mutex g_mutex;  // guards the two below
std::string g_phase = "startup";
std::vector<std::pair<std::string, bool>> g_outputs;  // path, whether a file was there before

std::atomic<bool> g_exiting{false};  // one thread ends the process

// How long the command has to end on its own after the signal, and how
// often Z3 is interrupted again meanwhile (a query may start just after).
constexpr auto kGrace = std::chrono::milliseconds(900);
constexpr long kRepeatNs = 50'000'000;

sigset_t watched() {
  sigset_t set;
  sigemptyset(&set);
  // A signal the shell set ignored (a background job) stays ignored.
  for (int sig : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) sigaddset(&set, sig);
  }
  return set;
}

// A second signal within the grace period ends the process at once.
bool second_signal_within(const sigset_t& set, std::chrono::steady_clock::duration left) {
  timespec wait{0, kRepeatNs};
  if (left < std::chrono::nanoseconds(kRepeatNs)) wait.tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return sigtimedwait(&set, nullptr, &wait) > 0;
}

void watch(sigset_t set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  request_stop();
  auto signalled = std::chrono::steady_clock::now();
  for (auto left = kGrace; left.count() > 0; left = kGrace - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               std::chrono::steady_clock::now() - signalled)) {
    run_stop_hooks();
    if (second_signal_within(set, left)) break;
  }
  exit_interrupted();
}

}  // namespace

void install_interrupt_handling() {
  sigset_t set = watched();
  // Before any other thread starts: each inherits the mask.
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;
  std::thread(watch, set).detach();
}

void set_phase(const std::string& what) {
  std::lock_guard<std::mutex> hold(g_mutex);
  g_phase = what;
}

void will_write(const std::string& path) {
  std::lock_guard<std::mutex> hold(g_mutex);
  g_outputs.emplace_back(path, ::access(path.c_str(), F_OK) == 0);
}

bool write_report(const std::string& path, const std::string& text) {
  std::lock_guard<std::mutex> hold(g_mutex);
  throw_if_interrupted();
  return write_whole_file(path, text);
}

void throw_if_interrupted() {
  if (stop_requested()) throw Interrupted{};
}

void exit_interrupted() {
  if (g_exiting.exchange(true))
    for (;;) ::pause();  // another thread is ending the process
  request_stop();
  remove_unfinished_outputs();
  std::string line;
  {
    std::lock_guard<std::mutex> hold(g_mutex);
    line = "luv: interrupted during " + g_phase;
    std::string earlier;
    for (const auto& [path, existed] : g_outputs) {
      ::unlink(path.c_str());
      if (existed) earlier += (earlier.empty() ? "" : ", ") + path;
    }
    if (!g_outputs.empty()) line += "; no report written";
    if (!earlier.empty()) line += " (an earlier run's removed: " + earlier + ")";
  }
  // What was printed before stays printed, unless stdout is busy (the
  // watchdog may end the process in the middle of a printf).
  if (ftrylockfile(stdout) == 0) {
    std::fflush(stdout);
    funlockfile(stdout);
  }
  line += "\n";
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
  ::_exit(EXIT_INTERRUPTED);
}

}  // namespace luv::cli
