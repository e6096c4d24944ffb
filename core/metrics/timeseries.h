#pragma once

#include "domain/rolloutstate.h"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <vector>

namespace canary::metrics {

// One sample of a chart line. A NaN value is a gap: the line breaks there and is never drawn
// across it.
struct TimePoint
{
    SystemTime time{};
    double value = std::numeric_limits<double>::quiet_NaN();

    bool isGap() const { return std::isnan(value); }
    bool operator==(const TimePoint &other) const
    {
        return time == other.time &&
               (value == other.value || (std::isnan(value) && std::isnan(other.value)));
    }
};
static_assert(sizeof(TimePoint) == 16, "a point must stay at 16 bytes");

// An append-only, time-ordered series with age-based retention. Appends and trims are O(1)
// amortised (a deque), range look-ups are binary searches.
class TimeSeries final
{
public:
    explicit TimeSeries(std::chrono::milliseconds retention = std::chrono::hours(24));

    // Appends a point; a value that cannot be drawn (NaN, ±Inf) becomes a gap. Points older than
    // the last one are refused (false); equal times are kept in arrival order. Repeated gaps
    // collapse into the first so a long outage costs one point.
    bool append(SystemTime time, double value);
    bool appendGap(SystemTime time);

    // Points older than the newest point minus the retention are dropped on every append.
    void setRetention(std::chrono::milliseconds retention);
    std::chrono::milliseconds retention() const { return m_retention; }
    void trimBefore(SystemTime time);
    void clear() { m_points.clear(); }

    std::size_t size() const { return m_points.size(); }
    bool empty() const { return m_points.empty(); }
    const TimePoint &at(std::size_t index) const { return m_points.at(index); }
    const TimePoint &front() const { return m_points.front(); }
    const TimePoint &back() const { return m_points.back(); }

    // Index of the first point at or after `time` (size() when none).
    std::size_t lowerIndex(SystemTime time) const;
    // Index one past the last point at or before `time`.
    std::size_t upperIndex(SystemTime time) const;

    // Every point with from <= time <= to, in order.
    std::vector<TimePoint> range(SystemTime from, SystemTime to) const;

    // At most about 3 * buckets points over [from, to] for drawing: the range is cut into `buckets`
    // equal spans and each span keeps its minimum, its maximum and its first gap, in time order,
    // so spikes and breaks survive. A range that is already small enough is returned whole.
    std::vector<TimePoint> decimated(SystemTime from, SystemTime to, std::size_t buckets) const;

    // Heap bytes held for the points, an estimate within a few per cent.
    std::size_t memoryBytes() const;

private:
    void trim();

    std::deque<TimePoint> m_points;
    std::chrono::milliseconds m_retention;
};

} // namespace canary::metrics
