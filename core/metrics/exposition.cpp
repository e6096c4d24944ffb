#include "metrics/exposition.h"

namespace canary::metrics {

namespace {

char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

} // namespace

ExpositionFormat formatForContentType(std::string_view contentType)
{
    // Only the media type counts; parameters such as version= or charset= do not change the
    // grammar.
    const auto semicolon = contentType.find(';');
    std::string_view mediaType = contentType.substr(0, semicolon);
    while (!mediaType.empty() && isSpace(mediaType.front()))
        mediaType.remove_prefix(1);
    while (!mediaType.empty() && isSpace(mediaType.back()))
        mediaType.remove_suffix(1);

    constexpr std::string_view openMetrics = "application/openmetrics-text";
    if (mediaType.size() != openMetrics.size())
        return ExpositionFormat::PrometheusText;
    for (std::size_t i = 0; i < openMetrics.size(); ++i) {
        if (asciiLower(mediaType[i]) != openMetrics[i])
            return ExpositionFormat::PrometheusText;
    }
    return ExpositionFormat::OpenMetrics;
}

std::string_view metricTypeName(MetricType type)
{
    switch (type) {
    case MetricType::Unknown:
        return "unknown";
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Histogram:
        return "histogram";
    case MetricType::GaugeHistogram:
        return "gaugehistogram";
    case MetricType::Summary:
        return "summary";
    case MetricType::Info:
        return "info";
    case MetricType::StateSet:
        return "stateset";
    }
    return "unknown";
}

const std::string *Sample::label(std::string_view labelName) const
{
    for (const Label &l : labels) {
        if (l.name == labelName)
            return &l.value;
    }
    return nullptr;
}

const MetricFamily *Exposition::family(std::string_view familyName) const
{
    for (const MetricFamily &f : families) {
        if (f.name == familyName)
            return &f;
    }
    return nullptr;
}

} // namespace canary::metrics
