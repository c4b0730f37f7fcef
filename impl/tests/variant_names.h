// Parameterizing a test suite over the shipped variants.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "impl/variant.h"

namespace luv::test {

class VariantTest : public ::testing::TestWithParam<const char*> {
 protected:
  const impl::variant_rules& rules() const { return *impl::find_variant(GetParam()); }
};

// Every row of the variant table, so that a new revision's row is tested
// by every suite parameterised over the variants without touching them.
inline std::vector<const char*> shipped_names() {
  std::vector<const char*> names;
  for (const impl::variant_rules& v : impl::shipped_variants()) names.push_back(v.name);
  return names;
}

// "v2-warn" -> "v2_warn": gtest names allow no '-'.
inline std::string test_name(std::string s) {
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

}  // namespace luv::test

#define LUV_INSTANTIATE_VARIANTS(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Variants, suite, ::testing::ValuesIn(::luv::test::shipped_names()), \
                           [](const auto& info) { return ::luv::test::test_name(info.param); })
