#pragma once

#include "backends/haproxy/haproxycontrolplane.h"
#include "backends/haproxy/haproxyruntime.h"
#include "backends/haproxy/haproxystat.h"
#include "backends/metricssource.h"
#include "util/clock.h"

#include <optional>
#include <vector>

namespace canary {

// One `show stat` of the two servers, at the moment it was read.
struct HaproxyReading
{
    SystemTime time{};
    haproxy::ServerCounters production;
    haproxy::ServerCounters canary;
};

// HAProxy's `show stat` as a metrics source (docs/haproxy.md): per server, requests (req_tot, or
// stot in TCP mode), 5xx answers (hrsp_5xx) and weights. HAProxy keeps cumulative counters only,
// so windows are made from the readings this source keeps, like a scraping source: the first
// reading after a failed one is a baseline, and no window spans a gap. It gives no accuracy and no
// latency quantiles.
class HaproxyMetricsSource final : public MetricsSource
{
    Q_OBJECT

public:
    HaproxyMetricsSource(HaproxyTarget target, std::chrono::milliseconds timeout,
                         const Clock &clock, QObject *parent = nullptr);

    MetricsCapabilities capabilities() const override;
    std::string address() const override { return m_target.endpoint.display(); }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override;
    void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                     std::chrono::milliseconds window, QObject *context,
                     HistoryCallback onDone) override;

    // The readings kept, oldest first (for tests and diagnostics).
    const std::vector<HaproxyReading> &readings() const { return m_readings; }

    // The KPIs over consecutive readings, oldest first (at least two, no gap between them). Pure:
    // public so that it can be tested without HAProxy.
    static metrics::KpiResult kpisOver(std::span<const HaproxyReading> readings);
    // The reading from one `show stat` answer, or an error sentence (without the address).
    static std::optional<HaproxyReading> readingOf(const HaproxyTarget &target,
                                                   std::string_view answer, SystemTime time,
                                                   std::string *error);

private:
    void forgetOlderThan(SystemTime cutoff);

    HaproxyTarget m_target;
    HaproxyRuntime m_runtime;
    const Clock &m_clock;
    std::vector<HaproxyReading> m_readings; // oldest first; a few per window
};

} // namespace canary
