#include "fakemetricssource.h"

#include <QtGlobal>

#include <cmath>

namespace canary::testing {

namespace {

using metrics::Kpi;
using metrics::VariantKpis;

void setUnknown(VariantKpis &kpis, Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

VariantKpis variantKpis(const FakeMetricsSource::VariantNumbers &numbers, double seconds,
                        const char *defaultVersion)
{
    VariantKpis kpis;
    const std::string version = numbers.version.empty() ? defaultVersion : numbers.version;
    kpis.versions = {version};
    if (numbers.requests > 0)
        kpis.activeVersions = {version};

    kpis.requestsInWindow = numbers.requests;
    kpis.errorsInWindow = numbers.errors;
    kpis.requestRate = numbers.requests / seconds;

    const bool served = numbers.requests > 0;
    if (served)
        kpis.errorRatio = numbers.errors / numbers.requests;
    else
        setUnknown(kpis, Kpi::ErrorRate, "no requests in the window");

    if (served && std::isfinite(numbers.p99Ms)) {
        const double p99 = numbers.p99Ms;
        kpis.p50Seconds = (std::isnan(numbers.p50Ms) ? 0.5 * p99 : numbers.p50Ms) / 1000.0;
        kpis.p95Seconds = (std::isnan(numbers.p95Ms) ? 0.8 * p99 : numbers.p95Ms) / 1000.0;
        kpis.p99Seconds = p99 / 1000.0;
    } else {
        const char *why = served ? "no latency was scripted" : "no requests in the window";
        for (Kpi kpi : {Kpi::LatencyP50, Kpi::LatencyP95, Kpi::LatencyP99})
            setUnknown(kpis, kpi, why);
    }

    if (served && numbers.accuracy) {
        kpis.accuracy = *numbers.accuracy;
        kpis.feedbackInWindow = numbers.requests;
        kpis.correctInWindow = *numbers.accuracy * numbers.requests;
    } else {
        setUnknown(kpis, Kpi::Accuracy, "no labelled feedback in the window");
    }

    if (std::isfinite(numbers.weightPercent))
        kpis.weightPercent = numbers.weightPercent;
    else
        setUnknown(kpis, Kpi::Weight, "no weight was scripted");
    return kpis;
}

} // namespace

FakeMetricsSource::InFlight::InFlight(FakeMetricsSource *s)
    : source(s)
{
    ++source->m_inFlight;
    source->m_mostInFlight = std::max(source->m_mostInFlight, source->m_inFlight);
}

void FakeMetricsSource::InFlight::close()
{
    if (open && source)
        --source->m_inFlight;
    open = false;
}

FakeMetricsSource::FakeMetricsSource(QObject *parent)
    : MetricsSource(parent)
{}

MetricsCapabilities FakeMetricsSource::defaultCapabilities()
{
    MetricsCapabilities capabilities;
    capabilities.kind = "Fake metrics source";
    capabilities.history = true;
    capabilities.quantiles = true;
    capabilities.accuracy = true;
    return capabilities;
}

void FakeMetricsSource::setCapabilities(MetricsCapabilities capabilities)
{
    m_capabilities = std::move(capabilities);
}

metrics::KpiResult FakeMetricsSource::kpis(const VariantNumbers &production,
                                           const VariantNumbers &canary,
                                           std::chrono::milliseconds window, SystemTime end)
{
    // A window has a length; a zero one would make every rate infinite.
    const double seconds = std::max(std::chrono::duration<double>(window).count(), 0.001);
    metrics::KpiResult result;
    result.time = end;
    result.elapsedSeconds = seconds;
    result.production = variantKpis(production, seconds, "1.0");
    result.canary = variantKpis(canary, seconds, "2.0");
    return result;
}

KpiSnapshot FakeMetricsSource::snapshot(const VariantNumbers &production,
                                        const VariantNumbers &canary,
                                        std::chrono::milliseconds window, SystemTime end,
                                        std::size_t readings)
{
    return {kpis(production, canary, window, end), end - window, end, readings};
}

MetricsReading FakeMetricsSource::steadyReading(const Windows &windows, SystemTime end,
                                                const VariantNumbers &production,
                                                const VariantNumbers &canary)
{
    MetricsReading reading;
    reading.time = end;
    for (const std::chrono::milliseconds window : windows) {
        const double scale = windows.front().count() > 0
                                 ? double(window.count()) / double(windows.front().count())
                                 : 1.0;
        VariantNumbers p = production;
        VariantNumbers c = canary;
        for (VariantNumbers *numbers : {&p, &c}) {
            numbers->requests *= scale;
            numbers->errors *= scale;
        }
        reading.windows.push_back(snapshot(p, c, window, end));
    }
    return reading;
}

void FakeMetricsSource::read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                             ReadCallback onDone)
{
    m_windowsAsked.push_back(windows);
    auto token = std::make_shared<InFlight>(this);
    MetricsReading reading = nextReading(windows);
    m_answers.deliver(context, [token, onDone = std::move(onDone), reading = std::move(reading)] {
        token->close(); // before the callback, which may well ask for the next read
        if (onDone)
            onDone(reading);
    });
}

void FakeMetricsSource::readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                                    std::chrono::milliseconds window, QObject *context,
                                    HistoryCallback onDone)
{
    m_historyAsked.push_back({from, to, step, window});
    MetricsHistory history;
    if (!m_capabilities.history) {
        history.error = m_capabilities.kind + " keeps no history, so the charts cannot be "
                                              "back-filled.";
    } else if (!m_history.ok()) {
        history.error = m_history.error;
    } else {
        for (const metrics::KpiResult &point : m_history.points)
            if (point.time >= from && point.time <= to)
                history.points.push_back(point);
    }
    m_answers.deliver(context, [onDone = std::move(onDone), history = std::move(history)] {
        if (onDone)
            onDone(history);
    });
}

MetricsReading FakeMetricsSource::nextReading(const Windows &windows)
{
    const SystemTime now = m_clock->now();
    if (!m_failures.empty()) {
        MetricsReading failed;
        failed.error = std::move(m_failures.front());
        failed.time = now;
        m_failures.pop_front();
        return failed;
    }
    if (!m_readings.empty()) {
        MetricsReading next = std::move(m_readings.front());
        m_readings.pop_front();
        return next;
    }
    if (m_generator)
        return m_generator(windows, now);
    // Loud in the test's output: a test that reads more than it scripted is usually wrong.
    qWarning("FakeMetricsSource: read %d has no reading scripted", readCount());
    MetricsReading none;
    none.error = m_capabilities.kind + " has no reading scripted for this read.";
    none.time = now;
    return none;
}

} // namespace canary::testing
