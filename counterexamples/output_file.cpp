#include "counterexamples/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>

namespace luv {

namespace {
// One write at a time is in progress per thread; a few slots cover the
// threads that write (verify writes from one).
constexpr int kSlots = 8;
char g_pending[kSlots][4096];
std::atomic<bool> g_used[kSlots];

int claim(const std::string& tmp) {
  if (tmp.size() >= sizeof g_pending[0]) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_used[i].compare_exchange_strong(expected, true)) {
      tmp.copy(g_pending[i], tmp.size());
      g_pending[i][tmp.size()] = '\0';
      return i;
    }
  }
  return -1;
}

void release(int slot) {
  if (slot >= 0) g_used[slot].store(false);
}

bool write_all(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

bool write_whole_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".luv-tmp." + std::to_string(::getpid());
  int slot = claim(tmp);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    release(slot);
    return false;
  }
  bool ok = write_all(fd, text);
  ok = ::close(fd) == 0 && ok;
  ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) ::unlink(tmp.c_str());
  release(slot);
  return ok;
}

std::string cannot_write_reason(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return "empty path";
  if (fs::is_directory(path, ec)) return "is a directory";
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) return "no such directory " + dir.string();
  if (::access(dir.c_str(), W_OK) != 0) return "directory " + dir.string() + " is not writable";
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) return "not writable";
  return {};
}

void remove_unfinished_outputs() {
  for (int i = 0; i < kSlots; ++i)
    if (g_used[i].load()) ::unlink(g_pending[i]);
}

}  // namespace luv
