#include "scrapesource.h"

#include <QPointer>

#include <algorithm>

namespace canary {

ScrapeMetricsSource::ScrapeMetricsSource(HttpTransport *transport, std::string url,
                                         const Clock &clock, QObject *parent)
    : MetricsSource(parent)
    , m_scraper(transport, std::move(url), clock)
{}

MetricsCapabilities ScrapeMetricsSource::capabilities() const
{
    MetricsCapabilities capabilities;
    capabilities.kind = "metrics endpoint";
    capabilities.history = false;
    return capabilities;
}

void ScrapeMetricsSource::read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                               ReadCallback onDone)
{
    const std::uint64_t id = ++m_readId;
    m_scraper.scrape(this, [this, id, windows = std::move(windows), context = QPointer(context),
                            onDone = std::move(onDone)](ScrapeResult result) {
        if (id != m_readId)
            return;
        MetricsReading reading = take(std::move(result), windows);
        if (context)
            onDone(std::move(reading));
    });
}

void ScrapeMetricsSource::readHistory(SystemTime, SystemTime, std::chrono::milliseconds,
                                      std::chrono::milliseconds, QObject *context,
                                      HistoryCallback onDone)
{
    QMetaObject::invokeMethod(
        context,
        [onDone = std::move(onDone), url = m_scraper.url()] {
            MetricsHistory history;
            history.error = "the metrics endpoint " + url +
                            " keeps no history; the charts start at the first scrape";
            onDone(std::move(history));
        },
        Qt::QueuedConnection);
}

MetricsReading ScrapeMetricsSource::take(ScrapeResult result,
                                         const std::vector<std::chrono::milliseconds> &windows)
{
    MetricsReading reading;
    reading.time = result.scrape.time;
    reading.windows.resize(windows.size());
    if (!result.ok()) {
        // One gap per outage: no window may span it, so the next good scrape is a baseline.
        m_recent.clear();
        reading.error = std::move(result.error);
        return reading;
    }
    // The KPIs read only the flattened series; the parsed families are not kept around.
    result.scrape.exposition.families.clear();
    if (m_recent.empty()) {
        m_recent.push_back(std::move(result.scrape));
        return reading;
    }
    // Keep the scrapes of the longest window.
    const auto longest = windows.empty() ? std::chrono::milliseconds(0)
                                         : *std::max_element(windows.begin(), windows.end());
    const SystemTime keepFrom = result.scrape.time - longest;
    std::size_t drop = 0;
    while (drop + 1 < m_recent.size() && m_recent[drop + 1].time <= keepFrom)
        ++drop;
    m_recent.erase(m_recent.begin(), m_recent.begin() + std::ptrdiff_t(drop));
    m_recent.push_back(std::move(result.scrape));

    for (std::size_t i = 0; i < windows.size(); ++i) {
        const auto window = windowOf(windows[i]);
        KpiSnapshot snapshot;
        snapshot.kpis = metrics::computeKpisOver(window);
        if (!snapshot.kpis.ok()) {
            // A refused window (e.g. the clock did not move) yields nothing; start afresh.
            metrics::Scrape last = std::move(m_recent.back());
            m_recent.clear();
            m_recent.push_back(std::move(last));
            std::fill(reading.windows.begin(), reading.windows.end(), std::nullopt);
            return reading;
        }
        snapshot.from = window.front().time;
        snapshot.to = window.back().time;
        snapshot.readings = window.size();
        reading.windows[i] = std::move(snapshot);
    }
    return reading;
}

std::span<const metrics::Scrape>
ScrapeMetricsSource::windowOf(std::chrono::milliseconds length) const
{
    // From the newest scrape at least `length` old (or the oldest there is) to the newest.
    const SystemTime windowStart = m_recent.back().time - length;
    std::size_t base = 0;
    while (base + 1 < m_recent.size() && m_recent[base + 1].time <= windowStart)
        ++base;
    return std::span<const metrics::Scrape>(m_recent).subspan(base);
}

} // namespace canary
