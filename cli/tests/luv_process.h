// The luv binary run as a user runs it, for the tests of the command line
// (cli/tests, counterexamples/tests): its exit code, stdout and stderr.
// run_luv() runs the LUV_BINARY the including target defines.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace luv_test {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;  // empty when stderr was merged into out
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A shell command: its exit code and stdout (redirect stderr in `cmd`).
inline Outcome run_shell(const std::string& cmd) {
  Outcome o;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

#ifdef LUV_BINARY
// `luv ARGS` through the shell. Merged: stderr joins stdout in `out`, in
// order. Apart: stderr goes to `err`, through a file of this test process
// (ctest runs a binary's tests in parallel processes).
enum class Stderr { merged, apart };
inline Outcome run_luv(const std::string& args, Stderr stderr_to = Stderr::apart) {
  std::string err_path =
      (std::filesystem::temp_directory_path() / ("luv_cli." + std::to_string(::getpid()) + ".err")).string();
  Outcome o =
      run_shell(std::string(LUV_BINARY) + " " + args + (stderr_to == Stderr::merged ? " 2>&1" : " 2>" + err_path));
  if (stderr_to == Stderr::apart) {
    o.err = read_file(err_path);
    std::filesystem::remove(err_path);
  }
  return o;
}
#endif

// Writes TEXT to NAME in the temporary folder DIR (created) and returns its path.
inline std::string write_temp_file(const std::string& dir, const std::string& name, const std::string& text) {
  std::filesystem::path d = std::filesystem::temp_directory_path() / dir;
  std::filesystem::create_directories(d);
  std::string path = (d / name).string();
  std::ofstream(path) << text;
  return path;
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace luv_test
