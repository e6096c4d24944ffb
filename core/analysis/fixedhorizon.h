#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

// Fixed-horizon comparisons of a canary sample with a production sample: for reports and for
// `canaryctl judge`. They are valid once, at a sample size chosen in advance; looking again and
// again is what countevidence.h is for. docs/analysis.md describes the methods and sources.
namespace canary::analysis {

struct MannWhitneyResult
{
    double u = 0;      // U of the canary sample: #(canary > production) + #ties / 2
    double z = 0;      // the standardised U, tie- and continuity-corrected
    double pValue = 1; // two-sided, normal approximation (R: exact = FALSE, correct = TRUE)
    // Hodges-Lehmann shift: the median of the pairwise differences canary - production.
    double estimate = 0;
    double ciLow = 0;      // the distribution-free interval from the ordered pairwise differences
    double ciHigh = 0;     // (see mannWhitney below for the order statistics taken)
    bool sampled = false;  // true when the pairwise differences were subsampled (kMaxPairs)
    std::size_t pairs = 0; // how many pairwise differences the estimate and interval rest on
};

// At most this many pairwise differences are formed; beyond it every sample is thinned
// deterministically (every k-th value of the sorted sample, k the same for both) so the memory
// stays bounded. U, z and the p-value always use every value: ranking is n log n.
inline constexpr std::size_t kMaxPairs = 4'000'000;

// Mann-Whitney U (Wilcoxon rank sum) of `canary` against `production`.
// p-value: as R's wilcox.test(canary, production, exact = FALSE, correct = TRUE):
//   z = (U - nm/2 - sign(U - nm/2) / 2) / sigma,
//   sigma^2 = nm/12 * ((n + m + 1) - sum(t^3 - t) / ((n + m)(n + m - 1))), t the tie group sizes.
// Interval at level 1 - alpha: [D(k), D(nm + 1 - k)] of the sorted pairwise differences D, with
//   k = floor(nm/2 - z_{1-alpha/2} * sigma + 1/2), clamped to 1..ceil(nm/2),
// the order statistic at which R's continuity-corrected normal-approximation statistic crosses
// the critical value (R finds that crossing with uniroot(); this takes it exactly).
// nullopt, with `error`, when a sample is empty, a value is not finite, alpha is not in (0, 1) or
// every value is tied (sigma = 0: no test).
std::optional<MannWhitneyResult> mannWhitney(std::span<const double> canary,
                                             std::span<const double> production, double alpha,
                                             std::string *error = nullptr);

struct ProportionsResult
{
    double canaryRate = 0;
    double productionRate = 0;
    double estimate = 0; // canary - production
    double ciLow = 0;    // Newcombe's hybrid score interval (method 10 of Newcombe 1998)
    double ciHigh = 0;
    double z = 0;      // pooled two-proportion z statistic, no continuity correction
    double pValue = 1; // two-sided; 1 when the pooled rate is 0 or 1 (no difference possible)
};

// Difference of two independent proportions: canary x1/n1 against production x2/n2.
// nullopt, with `error`, for n = 0, x > n or alpha not in (0, 1).
std::optional<ProportionsResult> twoProportions(long long canaryEvents, long long canaryTotal,
                                                long long productionEvents,
                                                long long productionTotal, double alpha,
                                                std::string *error = nullptr);

// Wilson's score interval for x/n at level 1 - alpha (Newcombe 1998's building block).
struct Interval
{
    double low = 0;
    double high = 0;
};
Interval wilsonInterval(long long events, long long total, double alpha);

} // namespace canary::analysis
