#include "metricsregistry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace canary::gateway {

namespace {

std::string formatDouble(double v)
{
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v))
        return "NaN";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

std::string escapeLabel(std::string_view value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

struct Family
{
    std::string_view name; // without _total
    std::string_view type;
    std::string_view help;
    bool counter;
};

} // namespace

const std::array<double, MetricsRegistry::kFiniteBuckets> &MetricsRegistry::bucketBounds()
{
    static const auto bounds = [] {
        std::array<double, kFiniteBuckets> b{};
        for (std::size_t i = 0; i < kFiniteBuckets; ++i) {
            // Rounded to 6 significant digits so the exposed `le` values are short and exact.
            const double raw = 0.001 * std::pow(10.0, double(i) / kBucketsPerDecade);
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", raw);
            b[i] = std::strtod(buf, nullptr);
        }
        return b;
    }();
    return bounds;
}

MetricsRegistry::Format MetricsRegistry::formatForAccept(std::string_view accept)
{
    std::string lower(accept);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return lower.find("application/openmetrics-text") != std::string::npos ? Format::OpenMetrics
                                                                           : Format::PrometheusText;
}

std::string_view MetricsRegistry::contentType(Format format)
{
    return format == Format::OpenMetrics
               ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
}

MetricsRegistry::Series &MetricsRegistry::seriesFor(VariantRole role, const std::string &version)
{
    ++m_tick;
    for (auto &s : m_series) {
        if (s.role == role && s.version == version) {
            s.lastTouched = m_tick;
            return s;
        }
    }
    if (m_series.size() >= kMaxSeries) {
        auto oldest = std::min_element(
            m_series.begin(), m_series.end(),
            [](const Series &a, const Series &b) { return a.lastTouched < b.lastTouched; });
        m_series.erase(oldest);
    }
    Series s;
    s.role = role;
    s.version = version;
    s.lastTouched = m_tick;
    m_series.push_back(std::move(s));
    return m_series.back();
}

void MetricsRegistry::recordRequest(VariantRole role, const std::string &version, double seconds,
                                    bool failed)
{
    const auto &bounds = bucketBounds();
    const auto index =
        std::size_t(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
    std::lock_guard lock(m_mutex);
    auto &s = seriesFor(role, version);
    ++s.requests;
    if (failed)
        ++s.errors;
    ++s.buckets[index];
    if (std::isfinite(seconds) && seconds > 0)
        s.sumSeconds += seconds;
}

void MetricsRegistry::recordFeedback(VariantRole role, const std::string &version, bool correct)
{
    std::lock_guard lock(m_mutex);
    auto &s = seriesFor(role, version);
    ++s.feedback;
    if (correct)
        ++s.correct;
}

std::string MetricsRegistry::render(Format format, const std::vector<Occupant> &occupants) const
{
    std::vector<Series> series;
    {
        std::lock_guard lock(m_mutex);
        series = m_series;
    }
    // The serving versions are always exposed, with zeros before their first request.
    for (const auto &o : occupants) {
        const bool present = std::any_of(series.begin(), series.end(), [&](const Series &s) {
            return s.role == o.role && s.version == o.version;
        });
        if (!present) {
            Series s;
            s.role = o.role;
            s.version = o.version;
            series.push_back(std::move(s));
        }
    }
    std::sort(series.begin(), series.end(), [](const Series &a, const Series &b) {
        return std::tie(a.role, a.version) < std::tie(b.role, b.version);
    });

    const bool om = format == Format::OpenMetrics;
    std::string out;
    out.reserve(4096 + series.size() * 12'000);
    auto labels = [](VariantRole role, const std::string &version) {
        return "variant=\"" + std::string(toString(role)) + "\",version=\"" + escapeLabel(version) +
               "\"";
    };
    auto header = [&](const Family &f) {
        std::string name(f.name);
        if (f.counter && !om)
            name += "_total";
        out += "# HELP " + name + " " + std::string(f.help) + "\n";
        out += "# TYPE " + name + " " + std::string(f.type) + "\n";
        if (om && f.name.ends_with("_seconds"))
            out += "# UNIT " + name + " seconds\n";
    };
    auto counter = [&](const Family &f, std::uint64_t Series::*field) {
        header(f);
        for (const auto &s : series) {
            out += std::string(f.name) + "_total{" + labels(s.role, s.version) + "} " +
                   std::to_string(s.*field) + "\n";
        }
    };

    counter(
        {"canary_requests", "counter", "Prediction requests served, by variant and version.", true},
        &Series::requests);
    counter({"canary_request_errors", "counter",
             "Prediction requests that failed (simulated model error or upstream failure).", true},
            &Series::errors);

    header({"canary_request_duration_seconds", "histogram",
            "Time from request arrival to response, in seconds.", false});
    const auto &bounds = bucketBounds();
    for (const auto &s : series) {
        const auto l = labels(s.role, s.version);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kFiniteBuckets; ++i) {
            cumulative += s.buckets[i];
            out += "canary_request_duration_seconds_bucket{" + l + ",le=\"" +
                   formatDouble(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
        }
        cumulative += s.buckets[kFiniteBuckets];
        out += "canary_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
               std::to_string(cumulative) + "\n";
        out +=
            "canary_request_duration_seconds_sum{" + l + "} " + formatDouble(s.sumSeconds) + "\n";
        out +=
            "canary_request_duration_seconds_count{" + l + "} " + std::to_string(cumulative) + "\n";
    }

    counter({"canary_feedback", "counter", "Predictions that were later given a true label.", true},
            &Series::feedback);
    counter({"canary_predictions_correct", "counter",
             "Labelled predictions that matched their true label.", true},
            &Series::correct);

    header({"canary_traffic_weight", "gauge",
            "Share of traffic routed to the variant now, in percent (0-100).", false});
    for (const auto &o : occupants) {
        out += "canary_traffic_weight{" + labels(o.role, o.version) + "} " +
               formatDouble(o.weightPercent) + "\n";
    }
    if (om)
        out += "# EOF\n";
    return out;
}

} // namespace canary::gateway
