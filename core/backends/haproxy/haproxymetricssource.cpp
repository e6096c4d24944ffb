#include "haproxymetricssource.h"

#include "util/join.h"

#include <QMetaObject>
#include <QPointer>

#include <algorithm>

namespace canary {

namespace {

constexpr const char *kNoQuantiles =
    "HAProxy gives no latency quantiles, only rtime and ttime averaged over the last 1024 "
    "requests; pair it with Prometheus for quantiles";
constexpr const char *kNoMean =
    "HAProxy gives no latency sum, so no mean latency over the window; pair it with Prometheus "
    "for the mean";
constexpr const char *kNoAccuracy =
    "HAProxy gives no accuracy: it sees no labelled predictions; pair it with Prometheus or the "
    "gateway's /metrics for accuracy";

metrics::Sample sample(std::string_view name, VariantRole role, const std::string &server,
                       double value)
{
    metrics::Sample out;
    out.name = std::string(name);
    out.labels = {{std::string(metrics::names::kVariantLabel), std::string(toString(role))},
                  {std::string(metrics::names::kVersionLabel), server}};
    out.value = value;
    return out;
}

// A reading in the shape the KPI functions read, so that counter resets, restarts and window
// sums follow the one set of rules in metrics/kpi.h.
metrics::Scrape scrapeOf(const HaproxyReading &reading)
{
    metrics::MetricFamily requests{
        std::string(metrics::names::kRequests), metrics::MetricType::Counter, {}, {}, {}};
    metrics::MetricFamily errors{
        std::string(metrics::names::kErrors), metrics::MetricType::Counter, {}, {}, {}};
    metrics::MetricFamily weight{
        std::string(metrics::names::kWeight), metrics::MetricType::Gauge, {}, {}, {}};
    const auto effective = [](const haproxy::ServerCounters &server) {
        return haproxy::takesTraffic(server.status) ? server.weight : std::optional<double>(0);
    };
    const auto productionWeight = effective(reading.production);
    const auto canaryWeight = effective(reading.canary);
    std::optional<Weight> share;
    if (productionWeight && canaryWeight)
        share = haproxy::shareOfWeights(static_cast<int>(std::min(*productionWeight, 1e6)),
                                        static_cast<int>(std::min(*canaryWeight, 1e6)));
    for (const auto role : {VariantRole::Production, VariantRole::Canary}) {
        const auto &server = role == VariantRole::Production ? reading.production : reading.canary;
        if (server.requests)
            requests.samples.push_back(
                sample(metrics::names::kRequests, role, server.name, *server.requests));
        if (server.errors5xx)
            errors.samples.push_back(
                sample(metrics::names::kErrors, role, server.name, *server.errors5xx));
        if (share) {
            const double percent =
                role == VariantRole::Canary ? share->percent() : share->complement().percent();
            weight.samples.push_back(sample(metrics::names::kWeight, role, server.name, percent));
        }
    }
    metrics::Exposition exposition;
    exposition.families = {std::move(requests), std::move(errors), std::move(weight)};
    return metrics::makeScrape(reading.time, std::move(exposition));
}

void setReason(metrics::VariantKpis &kpis, metrics::Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

} // namespace

HaproxyMetricsSource::HaproxyMetricsSource(HaproxyTarget target, std::chrono::milliseconds timeout,
                                           const Clock &clock, QObject *parent)
    : MetricsSource(parent)
    , m_target(std::move(target))
    , m_runtime(m_target.endpoint, timeout)
    , m_clock(clock)
{
    m_runtime.setMaxAnswerBytes(haproxy::kMaxStatBytes);
}

MetricsCapabilities HaproxyMetricsSource::capabilities() const
{
    MetricsCapabilities capabilities;
    capabilities.kind = "HAProxy";
    capabilities.history = false;
    capabilities.quantiles = false;
    capabilities.accuracy = false;
    capabilities.limits =
        "HAProxy's counters give request and 5xx rates and weights, but no accuracy and no true "
        "latency quantiles (only averages over the last 1024 requests); pair it with Prometheus "
        "for those.";
    return capabilities;
}

std::optional<HaproxyReading> HaproxyMetricsSource::readingOf(const HaproxyTarget &target,
                                                              std::string_view answer,
                                                              SystemTime time, std::string *error)
{
    const std::string refusal = haproxy::refusalText(answer);
    if (refusal.starts_with("No such")) {
        if (error)
            *error = join(
                {"there is no backend ", target.backend, " (HAProxy answered \"", refusal, "\")"});
        return std::nullopt;
    }
    std::string why;
    const auto table = haproxy::parseShowStat(answer, &why);
    if (!table) {
        if (error)
            *error = join({"malformed answer to \"show stat\": ", why});
        return std::nullopt;
    }
    HaproxyReading reading;
    reading.time = time;
    auto production = haproxy::serverCounters(*table, target.backend, target.production, error);
    if (!production)
        return std::nullopt;
    auto canary = haproxy::serverCounters(*table, target.backend, target.canary, error);
    if (!canary)
        return std::nullopt;
    reading.production = std::move(*production);
    reading.canary = std::move(*canary);
    return reading;
}

metrics::KpiResult HaproxyMetricsSource::kpisOver(std::span<const HaproxyReading> readings)
{
    std::vector<metrics::Scrape> scrapes;
    scrapes.reserve(readings.size());
    for (const auto &reading : readings)
        scrapes.push_back(scrapeOf(reading));
    metrics::KpiResult result = metrics::computeKpisOver(scrapes);
    if (!result.ok() || readings.empty())
        return result;
    const HaproxyReading &now = readings.back();
    for (const auto role : {VariantRole::Production, VariantRole::Canary}) {
        auto &kpis = result.variant(role);
        const auto &server = role == VariantRole::Production ? now.production : now.canary;
        setReason(kpis, metrics::Kpi::Accuracy, kNoAccuracy);
        for (const auto kpi :
             {metrics::Kpi::LatencyP50, metrics::Kpi::LatencyP95, metrics::Kpi::LatencyP99})
            setReason(kpis, kpi, kNoQuantiles);
        kpis.meanSeconds = metrics::VariantKpis::kUnknown;
        kpis.meanReason = kNoMean;
        // Say what HAProxy lacks in its own words, not in the KPI functions' metric names.
        if (!server.requests) {
            const std::string why = join({"HAProxy's show stat gives neither req_tot nor stot "
                                          "for server ",
                                          server.name});
            setReason(kpis, metrics::Kpi::RequestRate, why);
            setReason(kpis, metrics::Kpi::ErrorRate, why);
        } else if (!server.errors5xx) {
            setReason(kpis, metrics::Kpi::ErrorRate,
                      join({"HAProxy's show stat gives no hrsp_5xx for server ", server.name,
                            " (a TCP-mode backend counts no HTTP answers)"}));
        }
        if (!kpis.known(metrics::Kpi::Weight))
            setReason(kpis, metrics::Kpi::Weight,
                      join({"HAProxy gives no share of traffic: the servers' weights are missing "
                            "or both 0 (",
                            now.production.name, " ", now.production.status, ", ", now.canary.name,
                            " ", now.canary.status, ")"}));
    }
    return result;
}

void HaproxyMetricsSource::forgetOlderThan(SystemTime cutoff)
{
    std::size_t drop = 0;
    while (drop + 1 < m_readings.size() && m_readings[drop].time < cutoff)
        ++drop;
    m_readings.erase(m_readings.begin(), m_readings.begin() + std::ptrdiff_t(drop));
}

void HaproxyMetricsSource::read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                                ReadCallback onDone)
{
    const std::string command = join({"show stat ", m_target.backend, " 4 -1"});
    m_runtime.send(
        command, context,
        [this, command, windows = std::move(windows),
         onDone = std::move(onDone)](RuntimeAnswer answer) {
            MetricsReading result;
            const SystemTime now = m_clock.now();
            result.time = now;
            const auto fail = [&](const std::string &what) {
                // A failed read is a gap: the next good reading is only a baseline.
                m_readings.clear();
                result.error = join({"HAProxy runtime API at ", address(), ": ", what});
                onDone(std::move(result));
            };
            if (!answer.answered()) {
                fail(join({"\"", command, "\" failed: ", answer.error}));
                return;
            }
            std::string why;
            auto reading = readingOf(m_target, answer.text, now, &why);
            if (!reading) {
                fail(why);
                return;
            }
            if (!m_readings.empty() && m_readings.back().time >= now)
                m_readings.clear(); // the clock went back: earlier readings cannot make a window
            m_readings.push_back(std::move(*reading));
            std::chrono::milliseconds longest{0};
            for (const auto window : windows)
                longest = std::max(longest, window);
            forgetOlderThan(now - longest);

            const std::vector<HaproxyReading> &kept = m_readings;
            for (const auto window : windows) {
                const auto first =
                    std::find_if(kept.begin(), kept.end(),
                                 [&](const HaproxyReading &r) { return r.time >= now - window; });
                const std::size_t count = static_cast<std::size_t>(kept.end() - first);
                if (count < 2) {
                    result.windows.emplace_back(std::nullopt);
                    continue;
                }
                KpiSnapshot snapshot;
                snapshot.kpis = kpisOver(std::span<const HaproxyReading>(&*first, count));
                snapshot.from = first->time;
                snapshot.to = now;
                snapshot.readings = count;
                result.windows.emplace_back(std::move(snapshot));
            }
            onDone(std::move(result));
        });
}

void HaproxyMetricsSource::readHistory(SystemTime, SystemTime, std::chrono::milliseconds,
                                       std::chrono::milliseconds, QObject *context,
                                       HistoryCallback onDone)
{
    MetricsHistory history;
    history.error = join({"HAProxy runtime API at ", address(),
                          ": HAProxy keeps only running totals, no history; the charts fill from "
                          "now on"});
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        context,
        [guard, onDone = std::move(onDone), history = std::move(history)]() mutable {
            if (guard)
                onDone(std::move(history));
        },
        Qt::QueuedConnection);
}

} // namespace canary
