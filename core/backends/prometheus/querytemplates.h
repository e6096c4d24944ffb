#pragma once

#include "domain/rolloutstate.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace canary::prometheus {

// The PromQL queries one variant's KPIs are read with. Each is a template (docs/prometheus.md):
//   {{variant}}        the variant's label value, quoted for PromQL ("canary")
//   {{variant_label}}  the label name that tells the variants apart (variant)
//   {{job}}            the ?job= of the URL, quoted ("api"); "" when there is none
//   {{selector}}       the matchers for one variant: variant="canary" plus ,job="api" with ?job=
//   {{window}}         the window as a PromQL duration (30s, 1500ms)
//   {{quantile}}       latency only: 0.5, 0.95 or 0.99
enum class Query : std::uint8_t {
    RequestRate,      // requests per second over the window
    ErrorRatio,       // failed / all requests over the window, 0..1
    Accuracy,         // correct / labelled predictions over the window, 0..1
    Latency,          // the {{quantile}} of the request duration over the window, in seconds
    LatencyMean,      // the mean request duration over the window, in seconds
    RequestsInWindow, // how many requests the window holds
    ErrorsInWindow,
    FeedbackInWindow,
    CorrectInWindow,
    Weight,         // the variant's traffic weight now, in percent
    Versions,       // one series per model version the variant has (label: version_label)
    ActiveVersions, // one series per version that served requests in the window
    // One series per histogram bucket (label le) with the requests the window holds at or below
    // it: the judge's latency thresholds. Instant reads only.
    LatencyBuckets,
};
inline constexpr std::size_t kQueryCount = 13;
inline constexpr std::array<Query, kQueryCount> kAllQueries = {
    Query::RequestRate,     Query::ErrorRatio,       Query::Accuracy,       Query::Latency,
    Query::LatencyMean,     Query::RequestsInWindow, Query::ErrorsInWindow, Query::FeedbackInWindow,
    Query::CorrectInWindow, Query::Weight,           Query::Versions,       Query::ActiveVersions,
    Query::LatencyBuckets};

// The key of a query in the template file: "request_rate", "latency", ...
std::string_view queryName(Query query);
// Whether a query's answer is a set of series (one per version) rather than one number.
bool answersWithSeries(Query query);

struct QueryTemplates
{
    std::string variantLabel = "variant";
    std::string productionValue = "production";
    std::string canaryValue = "canary";
    std::string versionLabel = "version"; // read from the series of versions / active_versions
    std::array<std::string, kQueryCount> queries; // empty: the file gives no such query

    // The queries for the canary-gateway's own metric names (core/metrics/kpi.h names::).
    static QueryTemplates defaults();

    bool has(Query query) const { return !queries[static_cast<std::size_t>(query)].empty(); }
    const std::string &text(Query query) const { return queries[static_cast<std::size_t>(query)]; }
    const std::string &labelValue(VariantRole role) const
    {
        return role == VariantRole::Production ? productionValue : canaryValue;
    }
};

// Reads a query file (JSON, docs/prometheus.md). Fields left out keep their defaults except
// "queries": when it is given, only the queries it lists are asked. request_rate and error_ratio
// are required. Returns nullopt with `error` set to a sentence naming the field on any problem:
// an unknown field or placeholder, a label name PromQL does not allow, a latency without
// {{quantile}}, the same value for both variants.
std::optional<QueryTemplates> parseQueryTemplates(std::string_view json, std::string *error);
// parseQueryTemplates of a file; the sentence names the file.
std::optional<QueryTemplates> loadQueryTemplates(const std::string &path, std::string *error);

// What the placeholders stand for in one query.
struct Expansion
{
    VariantRole role = VariantRole::Production;
    std::string job; // empty: no job matcher
    std::chrono::milliseconds window{30000};
    double quantile = 0.5; // latency only
};

// The PromQL of `query` with every placeholder replaced. The template must have been validated
// (parseQueryTemplates or defaults()).
std::string expandQuery(const QueryTemplates &templates, Query query, const Expansion &expansion);

// 30000 ms -> "30s", 1500 ms -> "1500ms": a PromQL duration for a range selector.
std::string promqlDuration(std::chrono::milliseconds duration);
// A PromQL string literal: "canary", with backslashes and quotes escaped.
std::string promqlString(std::string_view value);
// Whether `name` is a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*).
bool isLabelName(std::string_view name);

} // namespace canary::prometheus
