// Every case of the kernel catalogue (bench/kernel_cases.hpp, the cases heed
// bench times at large sizes) against its plain-loop reference in double:
// each result's normalised error within the case's own bound, in float and
// in double.
#include "kernel_cases.hpp"

#include <gtest/gtest.h>

#include <set>

namespace heed::bench {
namespace {

template <class T>
void check(const KernelCase& c, double bound) {
  KernelProblem<T> problem(c);
  problem.forward();
  problem.backward();
  const NamedResults want = reference(problem);
  const NamedResults got = problem.results();
  ASSERT_EQ(want.size(), got.size()) << c.label();
  for (std::size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(want[k].first, got[k].first);
    const double err = normalised_error(want[k].second, got[k].second);
    EXPECT_LE(err, bound) << c.label() << " " << got[k].first
                          << (sizeof(T) == 4 ? " float" : " double");
  }
}

class KernelCatalogue : public ::testing::TestWithParam<KernelCase> {};

TEST_P(KernelCatalogue, MatchesTheReferenceInFloatAndDouble) {
  check<double>(GetParam(), GetParam().max_nmse_double);
  check<float>(GetParam(), GetParam().max_nmse_float);
}

INSTANTIATE_TEST_SUITE_P(Cases, KernelCatalogue, ::testing::ValuesIn(test_cases()),
                         [](const ::testing::TestParamInfo<KernelCase>& info) {
                           return info.param.label();
                         });

TEST(KernelCatalogueCoverage, EveryKernelHasCasesAndTheNormalisedErrorSeesMistakes) {
  std::set<std::string> covered;
  for (const KernelCase& c : test_cases()) covered.insert(c.kernel);
  for (const std::string& k : catalogue_kernels()) EXPECT_TRUE(covered.count(k)) << k;
  // The check can fail: a result off by 1 % in one entry of ten.
  std::vector<double> want(10, 1.0), got = want;
  got[3] = 1.01;
  EXPECT_NEAR(normalised_error(want, got), 1e-5, 1e-12);
  EXPECT_GT(normalised_error(want, got), KernelCase{}.max_nmse_float);
}

}  // namespace
}  // namespace heed::bench
