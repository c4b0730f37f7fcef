// Stand-in for <linux/types.h>: the kernel's fixed-width names.
#pragma once
#include <cstdint>

namespace luv::impl {
using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using phys_addr_t = std::uint64_t;
}  // namespace luv::impl
