#pragma once

#include "metrics/kpi.h"
#include "metrics/timeseries.h"

#include <array>
#include <chrono>
#include <cstddef>

namespace canary::metrics {

// The console's KPI history: one TimeSeries per variant and KPI, all with the same retention.
// Not thread-safe; owned by whoever polls.
class TimeSeriesStore final
{
public:
    explicit TimeSeriesStore(std::chrono::milliseconds retention = std::chrono::hours(24));

    bool append(VariantRole role, Kpi kpi, SystemTime time, double value);

    // One poll's worth: every KPI of both variants at result.time; unknown KPIs become gaps, and
    // a refused result is a gap everywhere. Also trims every series against result.time, so a line
    // that stopped receiving points still ages out.
    void append(const KpiResult &result);

    // A missed poll: breaks every line at `time`.
    void appendGap(SystemTime time);

    void setRetention(std::chrono::milliseconds retention);
    std::chrono::milliseconds retention() const { return m_retention; }
    void trimBefore(SystemTime time);
    void clear();

    const TimeSeries &series(VariantRole role, Kpi kpi) const
    {
        return m_series[indexOf(role, kpi)];
    }

    std::size_t pointCount() const;
    std::size_t memoryBytes() const;

private:
    static constexpr std::size_t kSeriesCount = 2 * kKpiCount;
    static std::size_t indexOf(VariantRole role, Kpi kpi);

    std::array<TimeSeries, kSeriesCount> m_series;
    std::chrono::milliseconds m_retention;
};

} // namespace canary::metrics
