#include "timeseries.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace canary::metrics {

TimeSeries::TimeSeries(std::chrono::milliseconds retention)
    : m_retention(std::max(retention, std::chrono::milliseconds(0)))
{}

bool TimeSeries::append(SystemTime time, double value)
{
    if (!m_points.empty() && time < m_points.back().time) {
        return false;
    }
    if (!std::isfinite(value)) {
        value = std::numeric_limits<double>::quiet_NaN();
        if (!m_points.empty() && m_points.back().isGap()) {
            return true;
        }
    }
    m_points.push_back({time, value});
    trim();
    return true;
}

bool TimeSeries::appendGap(SystemTime time)
{
    return append(time, std::numeric_limits<double>::quiet_NaN());
}

void TimeSeries::setRetention(std::chrono::milliseconds retention)
{
    m_retention = std::max(retention, std::chrono::milliseconds(0));
    trim();
}

void TimeSeries::trim()
{
    if (m_points.empty()) {
        return;
    }
    trimBefore(m_points.back().time - m_retention);
}

void TimeSeries::trimBefore(SystemTime time)
{
    // Usually only the first point or two are old, so walk instead of searching.
    while (!m_points.empty() && m_points.front().time < time) {
        m_points.pop_front();
    }
}

std::size_t TimeSeries::lowerIndex(SystemTime time) const
{
    const auto it =
        std::lower_bound(m_points.begin(), m_points.end(), time,
                         [](const TimePoint &point, SystemTime t) { return point.time < t; });
    return static_cast<std::size_t>(it - m_points.begin());
}

std::size_t TimeSeries::upperIndex(SystemTime time) const
{
    const auto it =
        std::upper_bound(m_points.begin(), m_points.end(), time,
                         [](SystemTime t, const TimePoint &point) { return t < point.time; });
    return static_cast<std::size_t>(it - m_points.begin());
}

std::vector<TimePoint> TimeSeries::range(SystemTime from, SystemTime to) const
{
    if (to < from) {
        return {};
    }
    const auto first = m_points.begin() + static_cast<std::ptrdiff_t>(lowerIndex(from));
    const auto last = m_points.begin() + static_cast<std::ptrdiff_t>(upperIndex(to));
    return std::vector<TimePoint>(first, std::max(first, last));
}

std::vector<TimePoint> TimeSeries::decimated(SystemTime from, SystemTime to,
                                             std::size_t buckets) const
{
    if (to < from || buckets == 0) {
        return {};
    }
    const std::size_t first = lowerIndex(from);
    const std::size_t last = upperIndex(to);
    if (last <= first) {
        return {};
    }
    if (last - first <= 2 * buckets) {
        return range(from, to);
    }

    // Bucket k covers [from + k * span / buckets, from + (k + 1) * span / buckets) with span
    // = to - from + 1 ms; its end is found by binary search, so no per-point arithmetic.
    const long double span = static_cast<long double>((to - from).count()) + 1;
    std::vector<TimePoint> out;
    out.reserve(3 * buckets);
    std::size_t i = first;
    for (std::size_t bucket = 0; bucket < buckets && i < last; ++bucket) {
        std::size_t end = last;
        if (bucket + 1 < buckets) {
            const auto offset = static_cast<std::int64_t>(
                std::ceil(span * static_cast<long double>(bucket + 1) / buckets));
            end = std::clamp(lowerIndex(from + std::chrono::milliseconds(offset)), i, last);
        }
        std::size_t minIndex = end;
        std::size_t maxIndex = end;
        std::size_t gapIndex = end;
        auto it = m_points.begin() + static_cast<std::ptrdiff_t>(i);
        for (; i < end; ++i, ++it) {
            const TimePoint &point = *it;
            if (point.isGap()) {
                gapIndex = std::min(gapIndex, i);
                continue;
            }
            if (minIndex == end || point.value < m_points[minIndex].value) {
                minIndex = i;
            }
            if (maxIndex == end || point.value > m_points[maxIndex].value) {
                maxIndex = i;
            }
        }
        std::array<std::size_t, 3> keep = {minIndex, maxIndex, gapIndex};
        std::sort(keep.begin(), keep.end());
        for (std::size_t k = 0; k < keep.size(); ++k) {
            if (keep[k] != end && (k == 0 || keep[k] != keep[k - 1])) {
                out.push_back(m_points[keep[k]]);
            }
        }
    }
    return out;
}

std::size_t TimeSeries::memoryBytes() const
{
    // libstdc++ allocates deque blocks of 512 bytes (32 points), each with a malloc header and a
    // slot in the deque's map; there is one partial block at each end at most.
    constexpr std::size_t kBlockBytes = 512;
    constexpr std::size_t kBlockOverhead = 16 + sizeof(void *);
    constexpr std::size_t kBlockPoints = kBlockBytes / sizeof(TimePoint);
    return (m_points.size() / kBlockPoints + 2) * (kBlockBytes + kBlockOverhead);
}

} // namespace canary::metrics
