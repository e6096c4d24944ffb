#pragma once

#include <span>

namespace canary::metrics {

// One classic-histogram bucket: the `le` bound and the number of observations at or below it.
struct Bucket
{
    double upperBound = 0;
    double cumulativeCount = 0;
};

// What had to be repaired in the input, as PromQL reports it in its annotations.
struct QuantileDiagnostics
{
    bool forcedMonotonic = false; // a bucket counted fewer than a lower one
    bool fixedPrecision = false;  // a bucket differed from a lower one only by float noise
};

// The q-quantile of a classic histogram, computed exactly as PromQL's histogram_quantile
// (promql/quantile.go, bucketQuantile): buckets are sorted by bound, equal bounds are merged, a
// +Inf bucket is required, counts are made monotonic, and the answer is interpolated linearly
// inside the bucket holding the rank (from 0 for the lowest bucket when its bound is positive).
// A rank in the +Inf bucket answers the highest finite bound.
// NaN for: q NaN, fewer than 2 buckets, no +Inf bucket, no observations, and (where PromQL's
// ordering would be undefined) a NaN bound. -Inf for q < 0, +Inf for q > 1.
double histogramQuantile(double q, std::span<const Bucket> buckets,
                         QuantileDiagnostics *diagnostics = nullptr);

} // namespace canary::metrics
