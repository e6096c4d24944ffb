#include "histogramquantile.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace canary::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Counts that differ from the previous bucket by at most this relative amount are float noise.
constexpr double kPrecisionTolerance = 1e-12;

void coalesce(std::vector<Bucket> &buckets)
{
    std::size_t out = 0;
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        if (buckets[i].upperBound == buckets[out].upperBound) {
            buckets[out].cumulativeCount += buckets[i].cumulativeCount;
        } else {
            buckets[++out] = buckets[i];
        }
    }
    buckets.resize(out + 1);
}

bool correctPrecisionErrors(std::vector<Bucket> &buckets)
{
    bool fixed = false;
    double previous = buckets[0].cumulativeCount;
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        const double current = buckets[i].cumulativeCount;
        const double delta = std::abs(current - previous);
        if (delta == 0) {
            continue;
        }
        if (delta / current <= kPrecisionTolerance) {
            buckets[i].cumulativeCount = previous;
            fixed = true;
        } else {
            previous = current;
        }
    }
    return fixed;
}

bool ensureMonotonic(std::vector<Bucket> &buckets)
{
    bool forced = false;
    double highest = buckets[0].cumulativeCount;
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        if (buckets[i].cumulativeCount > highest) {
            highest = buckets[i].cumulativeCount;
        } else if (buckets[i].cumulativeCount < highest) {
            buckets[i].cumulativeCount = highest;
            forced = true;
        }
    }
    return forced;
}

// Go's sort.Search, step for step, so that NaN counts (for which the predicate is not monotonic)
// land on the same bucket as in PromQL.
template<typename Predicate> std::size_t goSearch(std::size_t n, Predicate predicate)
{
    std::size_t low = 0;
    std::size_t high = n;
    while (low < high) {
        const std::size_t middle = low + (high - low) / 2;
        if (!predicate(middle)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

} // namespace

double histogramQuantile(double q, std::span<const Bucket> input, QuantileDiagnostics *diagnostics)
{
    if (diagnostics) {
        *diagnostics = {};
    }
    if (std::isnan(q)) {
        return kNaN;
    }
    if (q < 0) {
        return -kInf;
    }
    if (q > 1) {
        return kInf;
    }
    if (input.empty()) {
        return kNaN;
    }
    if (std::any_of(input.begin(), input.end(),
                    [](const Bucket &b) { return std::isnan(b.upperBound); })) {
        return kNaN;
    }

    std::vector<Bucket> buckets(input.begin(), input.end());
    std::stable_sort(buckets.begin(), buckets.end(),
                     [](const Bucket &a, const Bucket &b) { return a.upperBound < b.upperBound; });
    if (buckets.back().upperBound != kInf) {
        return kNaN;
    }

    coalesce(buckets);
    const bool fixedPrecision = correctPrecisionErrors(buckets);
    const bool forcedMonotonic = ensureMonotonic(buckets);
    if (diagnostics) {
        diagnostics->fixedPrecision = fixedPrecision;
        diagnostics->forcedMonotonic = forcedMonotonic;
    }

    const std::size_t n = buckets.size();
    if (n < 2) {
        return kNaN;
    }
    const double observations = buckets.back().cumulativeCount;
    if (observations == 0) {
        return kNaN;
    }
    double rank = q * observations;
    const std::size_t b =
        goSearch(n - 1, [&](std::size_t i) { return buckets[i].cumulativeCount >= rank; });

    if (b == n - 1) {
        return buckets[n - 2].upperBound;
    }
    if (b == 0 && buckets[0].upperBound <= 0) {
        return buckets[0].upperBound;
    }
    double bucketStart = 0;
    const double bucketEnd = buckets[b].upperBound;
    double count = buckets[b].cumulativeCount;
    if (b > 0) {
        bucketStart = buckets[b - 1].upperBound;
        count -= buckets[b - 1].cumulativeCount;
        rank -= buckets[b - 1].cumulativeCount;
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

} // namespace canary::metrics
