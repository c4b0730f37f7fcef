// Stand-in for <linux/errno.h>. The C library's <cerrno> already defines the
// same names as macros with the kernel's numbers on Linux; luv uses those and
// checks the numbers, so traces and files print what a kernel developer knows.
#pragma once
#include <cerrno>
#include <string>

static_assert(EPERM == 1 && ENOENT == 2 && EIO == 5 && ENOMEM == 12 && EBUSY == 16 && EEXIST == 17 &&
                  ENODEV == 19 && EINVAL == 22 && ENOSPC == 28 && EOPNOTSUPP == 95,
              "luv needs the kernel's errno numbers");

namespace luv::impl {
// "-ENOMEM" for -12, "0" for 0, the number for one the table lacks.
std::string errno_name(int err);
// Parses "ENOMEM", "-ENOMEM"; returns false when unknown.
bool errno_parse(const std::string& text, int& err_out);
}  // namespace luv::impl
