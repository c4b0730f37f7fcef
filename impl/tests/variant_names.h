// Parameterizing a test suite over the shipped variants.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "impl/variant.h"

namespace luv::test {

class VariantTest : public ::testing::TestWithParam<const char*> {
 protected:
  const impl::variant_rules& rules() const { return *impl::find_variant(GetParam()); }
};

// "v2-warn" -> "v2_warn": gtest names allow no '-'.
inline std::string test_name(std::string s) {
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

}  // namespace luv::test

#define LUV_INSTANTIATE_VARIANTS(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Variants, suite, ::testing::Values("reference", "v2", "v2-warn"), \
                           [](const auto& info) { return ::luv::test::test_name(info.param); })
