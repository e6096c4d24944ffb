#pragma once

#include "backends/metricssource.h"
#include "backends/scrape/metricsscraper.h"

#include <cstdint>
#include <vector>

namespace canary {

// A metrics source that scrapes a Prometheus text / OpenMetrics endpoint itself (the Control
// API's /metrics, or any exporter) and turns consecutive scrapes into KPI windows. It keeps the
// scrapes of the longest window asked for; every window is summed over each consecutive pair of
// scrapes in it (metrics::computeKpisOver), so a counter reset or a new series inside a window is
// handled where it happened. A failed scrape is a gap: the next good one is only a baseline.
class ScrapeMetricsSource final : public MetricsSource
{
    Q_OBJECT

public:
    ScrapeMetricsSource(HttpTransport *transport, std::string url, const Clock &clock,
                        QObject *parent = nullptr);

    MetricsScraper &scraper() { return m_scraper; }

    MetricsCapabilities capabilities() const override;
    std::string address() const override { return m_scraper.url(); }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override;
    // No history: a scrape endpoint knows only its current counters.
    void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                     std::chrono::milliseconds window, QObject *context,
                     HistoryCallback onDone) override;

    // The scrapes kept since the last gap (for tests and memory accounting).
    std::size_t keptScrapes() const { return m_recent.size(); }

private:
    MetricsReading take(ScrapeResult result, const std::vector<std::chrono::milliseconds> &windows);
    std::span<const metrics::Scrape> windowOf(std::chrono::milliseconds length) const;

    MetricsScraper m_scraper;
    std::vector<metrics::Scrape> m_recent;
    // Answers of an older read are dropped: a source answers the read it was last asked for.
    std::uint64_t m_readId = 0;
};

} // namespace canary
