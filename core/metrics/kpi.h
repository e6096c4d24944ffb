#pragma once

#include "domain/rolloutstate.h"
#include "metrics/exposition.h"
#include "metrics/histogramquantile.h"

#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <span>
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

// Whether a metric family can hold samples the KPIs read (by the names above), so a reader may
// keep only those families' samples.
bool isKpiFamily(std::string_view familyName);

// The KPI-relevant series of one exposition, flattened and ordered by identity (in kpi.cpp).
struct KpiSeries;

// A parsed exposition and the moment it was taken.
struct Scrape
{
    SystemTime time{};
    Exposition exposition;
    // `exposition` flattened once, by makeScrape(), so that a window over many scrapes re-reads
    // none of them. When null the KPI functions flatten on the fly (correct, but slower). It does
    // not follow later edits of `exposition`: make the scrape again after changing it. A holder
    // of many scrapes may drop `exposition.families` once this is set; the KPIs need only it and
    // `exposition.errors`.
    std::shared_ptr<const KpiSeries> kpiSeries = nullptr;
};

// A scrape with its KPI series flattened now (call it where the scrape is made, off the GUI
// thread when the exposition is large). An exposition that did not parse is not flattened.
Scrape makeScrape(SystemTime time, Exposition exposition);

// A counter series that fell in the window: Prometheus reads that as a restart of the process
// behind it, and the delta over that interval is the new value.
struct CounterReset
{
    std::string metric;  // e.g. canary_requests_total, canary_request_duration_seconds
    std::string version; // the series' model version label ("" when it has none)
    SystemTime seenAt{}; // the scrape that read the lower value
};

// One variant's indicators over a window of scrapes, summed over its model versions.
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
    // The mean latency (the histogram's sum over its count in the window); unknown where the
    // source gives no sum (HAProxy), with meanReason saying why.
    double meanSeconds = kUnknown;
    std::string meanReason;
    double requestsInWindow = kUnknown;
    double errorsInWindow = kUnknown;
    double feedbackInWindow = kUnknown;
    double correctInWindow = kUnknown;
    double weightPercent = kUnknown; // from the current scrape (a gauge)
    // The window's latency histogram (cumulative counts by upper bound, +Inf last) for the
    // judge's tail and body gates; empty when the source gives none (HAProxy, Prometheus).
    std::vector<Bucket> latencyBuckets;

    std::vector<std::string> versions;       // versions with any series in the current scrape
    std::vector<std::string> activeVersions; // versions that served requests in the window

    // Counter series (histograms included) that fell in the window, oldest first, at most one
    // entry per metric, version and scrape.
    std::vector<CounterReset> resets;
    // Set when, between two scrapes, every counter series of the variant that had counted
    // anything fell at once: the backend behind it restarted. The latest such scrape.
    std::optional<SystemTime> restartedAt;

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

// The KPIs over the window (scrapes.front().time, scrapes.back().time], from consecutive good
// scrapes without a gap, oldest first. Each series' deltas are summed over every consecutive pair,
// then rates are taken over the whole span and latency quantiles from the summed bucket deltas
// (never an average of shorter windows' quantiles). Per pair and series, Prometheus' rules:
//  - a lower value than before means the process restarted: the delta is the new value (and the
//    reset is reported in VariantKpis::resets);
//  - a series' first sample is a starting point, not an increase (delta 0), so a backend whose
//    counters carry on under a new label does not show invented traffic; unless its OpenMetrics
//    `_created` sample says it began after the previous scrape, then it counts from 0;
//  - a histogram series (its buckets and _count) resets or starts as one.
// Latency buckets are summed over versions by `le`. A KPI is a finite number or unknown with a
// reason, never an infinity. Pure: no I/O, no clock.
KpiResult computeKpisOver(std::span<const Scrape> scrapes);

// The two-scrape window (previous.time, current.time]: computeKpisOver of the pair.
KpiResult computeKpis(const Scrape &previous, const Scrape &current);

} // namespace canary::metrics
