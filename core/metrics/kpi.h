#pragma once

#include "domain/rolloutstate.h"
#include "metrics/exposition.h"

#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canary::metrics {

// The indicators the console charts and the judge compares, per variant.
enum class Kpi { RequestRate, ErrorRate, Accuracy, LatencyP50, LatencyP95, LatencyP99, Weight };
inline constexpr std::size_t kKpiCount = 7;
inline constexpr std::array<Kpi, kKpiCount> kAllKpis = {
    Kpi::RequestRate, Kpi::ErrorRate,  Kpi::Accuracy, Kpi::LatencyP50,
    Kpi::LatencyP95,  Kpi::LatencyP99, Kpi::Weight};

std::string_view toString(Kpi kpi); // "request_rate", "error_rate", ...

// The sample names the reference gateway exposes. Matching is on sample names, so the 0.0.4 and
// the OpenMetrics family names (with or without `_total`) both work.
namespace names {
inline constexpr std::string_view kRequests = "canary_requests_total";
inline constexpr std::string_view kErrors = "canary_request_errors_total";
inline constexpr std::string_view kDuration = "canary_request_duration_seconds";
inline constexpr std::string_view kFeedback = "canary_feedback_total";
inline constexpr std::string_view kCorrect = "canary_predictions_correct_total";
inline constexpr std::string_view kWeight = "canary_traffic_weight";
inline constexpr std::string_view kVariantLabel = "variant";
inline constexpr std::string_view kVersionLabel = "version";
} // namespace names

// A parsed exposition and the moment it was taken.
struct Scrape
{
    SystemTime time{};
    Exposition exposition;
};

// One variant's indicators over the window between two scrapes, summed over its model versions.
// NaN (or nullopt) means unknown, never zero; reason() then says why.
struct VariantKpis
{
    static constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

    double requestRate = kUnknown;  // requests per second
    double errorRatio = kUnknown;   // errors / requests, 0..1
    std::optional<double> accuracy; // correct / labelled feedback, 0..1
    double p50Seconds = kUnknown;
    double p95Seconds = kUnknown;
    double p99Seconds = kUnknown;
    double requestsInWindow = kUnknown;
    double errorsInWindow = kUnknown;
    double feedbackInWindow = kUnknown;
    double correctInWindow = kUnknown;
    double weightPercent = kUnknown; // from the current scrape (a gauge)

    std::vector<std::string> versions;       // versions with any series in the current scrape
    std::vector<std::string> activeVersions; // versions that served requests in the window

    std::array<std::string, kKpiCount> reasons; // empty where the KPI is known

    double value(Kpi kpi) const; // NaN where unknown
    const std::string &reason(Kpi kpi) const { return reasons[static_cast<std::size_t>(kpi)]; }
    bool known(Kpi kpi) const;
};

struct KpiResult
{
    SystemTime time{}; // the current scrape's time
    double elapsedSeconds = 0;
    VariantKpis production;
    VariantKpis canary;
    std::string error;                 // set when the whole window was refused
    std::vector<std::string> warnings; // oddities that did not make a KPI unknown

    bool ok() const { return error.empty(); }
    const VariantKpis &variant(VariantRole role) const
    {
        return role == VariantRole::Production ? production : canary;
    }
    VariantKpis &variant(VariantRole role)
    {
        return role == VariantRole::Production ? production : canary;
    }
};

// The KPIs over the window (previous.time, current.time]. Counters are differenced per series
// with Prometheus' reset rule (a lower value means a restart; the delta is the new value), a series
// missing from the previous scrape starts from 0, and latency quantiles come from the bucket
// deltas summed over versions by `le`. Pure: no I/O, no clock.
KpiResult computeKpis(const Scrape &previous, const Scrape &current);

} // namespace canary::metrics
