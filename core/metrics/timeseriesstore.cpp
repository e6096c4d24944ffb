#include "timeseriesstore.h"

#include <limits>

namespace canary::metrics {

TimeSeriesStore::TimeSeriesStore(std::chrono::milliseconds retention)
    : m_retention(retention)
{
    setRetention(retention);
}

std::size_t TimeSeriesStore::indexOf(VariantRole role, Kpi kpi)
{
    const std::size_t roleOffset = role == VariantRole::Production ? 0 : kKpiCount;
    return roleOffset + static_cast<std::size_t>(kpi);
}

bool TimeSeriesStore::append(VariantRole role, Kpi kpi, SystemTime time, double value)
{
    return m_series[indexOf(role, kpi)].append(time, value);
}

void TimeSeriesStore::append(const KpiResult &result)
{
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (Kpi kpi : kAllKpis) {
            const double value = result.ok() ? result.variant(role).value(kpi)
                                             : std::numeric_limits<double>::quiet_NaN();
            append(role, kpi, result.time, value);
        }
    }
    trimBefore(result.time - m_retention);
}

void TimeSeriesStore::appendGap(SystemTime time)
{
    for (auto &series : m_series) {
        series.appendGap(time);
    }
}

void TimeSeriesStore::setRetention(std::chrono::milliseconds retention)
{
    m_retention = std::max(retention, std::chrono::milliseconds(0));
    for (auto &series : m_series) {
        series.setRetention(m_retention);
    }
}

void TimeSeriesStore::trimBefore(SystemTime time)
{
    for (auto &series : m_series) {
        series.trimBefore(time);
    }
}

void TimeSeriesStore::clear()
{
    for (auto &series : m_series) {
        series.clear();
    }
}

std::size_t TimeSeriesStore::pointCount() const
{
    std::size_t total = 0;
    for (const auto &series : m_series) {
        total += series.size();
    }
    return total;
}

std::size_t TimeSeriesStore::memoryBytes() const
{
    std::size_t total = 0;
    for (const auto &series : m_series) {
        total += series.memoryBytes();
    }
    return total;
}

} // namespace canary::metrics
