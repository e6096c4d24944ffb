#pragma once

#include "domain/rolloutstate.h"
#include "metrics/timeseries.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace canary {

// A line's level of detail, kept between refreshes. The time axis is cut into buckets of a fixed
// width aligned to the epoch, each holding what TimeSeries::decimated() keeps for it (minimum,
// maximum, first gap). While the width stays (live scrolling, panning) only the buckets that
// new points or trimming touched, and those scrolled into view, are computed again, so a 24 h
// chart costs a few buckets per tick instead of a pass over 86,400 points.
class LodCache final
{
public:
    // The decimated points of buckets first..last (inclusive) of `bucketWidth`, in time order.
    const std::deque<metrics::TimePoint> &points(const metrics::TimeSeries &series,
                                                 std::int64_t first, std::int64_t last,
                                                 std::chrono::milliseconds bucketWidth);
    void clear();

    static std::int64_t bucketOf(SystemTime time, std::chrono::milliseconds bucketWidth);
    static SystemTime bucketStart(std::int64_t bucket, std::chrono::milliseconds bucketWidth);

private:
    struct Bucket
    {
        std::int64_t index = 0;
        std::uint32_t count = 0;
    };
    struct Stamp
    {
        std::size_t size = 0;
        SystemTime front{};
        SystemTime back{};
        bool operator==(const Stamp &) const = default;
    };

    void invalidateChanged(const metrics::TimeSeries &series);
    void dropFront();
    void dropBack();
    // Decimates buckets first..last of the series; calls `add(bucket, point)` in time order.
    template<typename Add>
    void compute(const metrics::TimeSeries &series, std::int64_t first, std::int64_t last,
                 Add add) const;

    std::chrono::milliseconds m_width{0};
    std::deque<Bucket> m_buckets; // consecutive indices
    std::deque<metrics::TimePoint> m_points;
    Stamp m_stamp;
};

} // namespace canary
