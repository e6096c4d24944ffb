#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The data model of a parsed Prometheus text 0.0.4 or OpenMetrics 1.0 exposition.
namespace canary::metrics {

enum class ExpositionFormat {
    PrometheusText, // text/plain; version=0.0.4
    OpenMetrics,    // application/openmetrics-text; version=1.0.0 (strict)
};

// Chooses the grammar from an HTTP Content-Type; anything not OpenMetrics is read as 0.0.4.
ExpositionFormat formatForContentType(std::string_view contentType);

enum class MetricType {
    Unknown,
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet
};

// The type's name as written in a TYPE line ("gaugehistogram", "unknown", ...).
std::string_view metricTypeName(MetricType type);

struct Label
{
    std::string name;
    std::string value;
    bool operator==(const Label &) const = default;
};

// An OpenMetrics exemplar attached to a counter's _total or a histogram's _bucket sample.
struct Exemplar
{
    std::vector<Label> labels;
    double value = 0;
    std::optional<double> timestampSeconds;
};

struct Sample
{
    std::string name; // full sample name, e.g. foo_bucket
    std::vector<Label> labels;
    double value = 0;
    std::optional<double> timestampSeconds; // 0.0.4 milliseconds are converted to seconds
    // OpenMetrics only, and rare: held apart so that every other sample stays small.
    std::shared_ptr<const Exemplar> exemplar;

    // The value of a label, or nullptr when the sample has no such label.
    const std::string *label(std::string_view name) const;
};

struct MetricFamily
{
    std::string name;
    MetricType type = MetricType::Unknown;
    std::string help;
    std::string unit;
    std::vector<Sample> samples;
};

struct ParseError
{
    int line = 0;   // 1-based
    int column = 0; // 1-based, in bytes
    std::string message;
};

struct Exposition
{
    std::vector<MetricFamily> families;
    std::vector<ParseError> errors; // empty when the input is valid
    bool tooManySamples = false;    // parsing stopped at ParseOptions::maxSamples

    bool ok() const { return errors.empty(); }
    const MetricFamily *family(std::string_view name) const;
};

} // namespace canary::metrics
