#pragma once

#include "domain/rolloutstate.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace canary::gateway {

// The gateway's own metrics, one series per (variant, version), and their exposition in
// Prometheus text 0.0.4 or OpenMetrics 1.0. Thread-safe.
class MetricsRegistry final
{
public:
    static constexpr std::size_t kMaxSeries = 32;
    // 40 log-spaced buckets per decade from 1 ms to 10 s: 161 finite upper bounds, then +Inf.
    static constexpr int kBucketsPerDecade = 40;
    static constexpr std::size_t kFiniteBuckets = 4 * kBucketsPerDecade + 1;

    enum class Format { PrometheusText, OpenMetrics };

    // A slot as it is now, for canary_traffic_weight.
    struct Occupant
    {
        VariantRole role = VariantRole::Production;
        std::string version;
        double weightPercent = 0;
    };

    void recordRequest(VariantRole role, const std::string &version, double seconds, bool failed);
    void recordFeedback(VariantRole role, const std::string &version, bool correct);

    std::string render(Format format, const std::vector<Occupant> &occupants) const;

    static const std::array<double, kFiniteBuckets> &bucketBounds();
    // OpenMetrics when the Accept header names it, else Prometheus text.
    static Format formatForAccept(std::string_view accept);
    static std::string_view contentType(Format format);

private:
    struct Series
    {
        VariantRole role = VariantRole::Production;
        std::string version;
        std::uint64_t requests = 0;
        std::uint64_t errors = 0;
        std::uint64_t feedback = 0;
        std::uint64_t correct = 0;
        std::array<std::uint64_t, kFiniteBuckets + 1> buckets{}; // not cumulative; last is +Inf
        double sumSeconds = 0;
        std::uint64_t lastTouched = 0;
    };

    Series &seriesFor(VariantRole role, const std::string &version); // m_mutex held

    mutable std::mutex m_mutex;
    std::vector<Series> m_series;
    std::uint64_t m_tick = 0;
};

} // namespace canary::gateway
