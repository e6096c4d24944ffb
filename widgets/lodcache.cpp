#include "lodcache.h"

#include <algorithm>
#include <array>
#include <vector>

namespace canary {

using metrics::TimePoint;
using metrics::TimeSeries;

std::int64_t LodCache::bucketOf(SystemTime time, std::chrono::milliseconds bucketWidth)
{
    const std::int64_t ms = time.time_since_epoch().count();
    const std::int64_t width = std::max<std::int64_t>(1, bucketWidth.count());
    return ms >= 0 ? ms / width : -((-ms + width - 1) / width);
}

SystemTime LodCache::bucketStart(std::int64_t bucket, std::chrono::milliseconds bucketWidth)
{
    return SystemTime(
        std::chrono::milliseconds(bucket * std::max<std::int64_t>(1, bucketWidth.count())));
}

void LodCache::clear()
{
    m_buckets.clear();
    m_points.clear();
    m_stamp = {};
}

void LodCache::dropFront()
{
    m_points.erase(m_points.begin(), m_points.begin() + m_buckets.front().count);
    m_buckets.pop_front();
}

void LodCache::dropBack()
{
    m_points.erase(m_points.end() - m_buckets.back().count, m_points.end());
    m_buckets.pop_back();
}

void LodCache::invalidateChanged(const TimeSeries &series)
{
    const Stamp now =
        series.empty() ? Stamp{} : Stamp{series.size(), series.front().time, series.back().time};
    if (now == m_stamp) {
        return;
    }
    const Stamp before = m_stamp;
    m_stamp = now;
    if (before.size == 0 || now.size == 0 || now.back < before.back || now.front < before.front) {
        // Not an append or a trim: start over.
        m_buckets.clear();
        m_points.clear();
        return;
    }
    // Appends land in the bucket of the old last point or later; a trim changes the bucket of
    // the new first point and earlier.
    const std::int64_t appendedFrom = bucketOf(before.back, m_width);
    while (!m_buckets.empty() && m_buckets.back().index >= appendedFrom) {
        dropBack();
    }
    if (now.front != before.front) {
        const std::int64_t trimmedTo = bucketOf(now.front, m_width);
        while (!m_buckets.empty() && m_buckets.front().index <= trimmedTo) {
            dropFront();
        }
    }
}

namespace {

// decimated()'s rule for one bucket, for when it returned a small range whole: more than two
// points shrink to the first minimum, the first maximum and the first gap, in time order. So a
// bucket looks the same whether it was computed alone or with its neighbours.
template<typename Add>
void flushBucket(std::int64_t bucket, std::vector<TimePoint> &points, Add &add)
{
    if (points.size() <= 2) {
        for (const TimePoint &point : points) {
            add(bucket, point);
        }
        points.clear();
        return;
    }
    const std::size_t none = points.size();
    std::size_t minIndex = none;
    std::size_t maxIndex = none;
    std::size_t gapIndex = none;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].isGap()) {
            gapIndex = std::min(gapIndex, i);
            continue;
        }
        if (minIndex == none || points[i].value < points[minIndex].value) {
            minIndex = i;
        }
        if (maxIndex == none || points[i].value > points[maxIndex].value) {
            maxIndex = i;
        }
    }
    std::array<std::size_t, 3> keep = {minIndex, maxIndex, gapIndex};
    std::sort(keep.begin(), keep.end());
    for (std::size_t k = 0; k < keep.size(); ++k) {
        if (keep[k] != none && (k == 0 || keep[k] != keep[k - 1])) {
            add(bucket, points[keep[k]]);
        }
    }
    points.clear();
}

} // namespace

template<typename Add>
void LodCache::compute(const TimeSeries &series, std::int64_t first, std::int64_t last,
                       Add add) const
{
    if (last < first) {
        return;
    }
    const auto buckets = static_cast<std::size_t>(last - first + 1);
    // decimated() cuts [from, to] into equal spans of (to - from + 1 ms) / buckets: exactly
    // this cache's buckets.
    const SystemTime from = bucketStart(first, m_width);
    const SystemTime to = bucketStart(last + 1, m_width) - std::chrono::milliseconds(1);
    std::vector<TimePoint> pending;
    std::int64_t pendingBucket = first;
    for (const TimePoint &point : series.decimated(from, to, buckets)) {
        const std::int64_t bucket = bucketOf(point.time, m_width);
        if (bucket != pendingBucket) {
            flushBucket(pendingBucket, pending, add);
            pendingBucket = bucket;
        }
        pending.push_back(point);
    }
    flushBucket(pendingBucket, pending, add);
}

const std::deque<TimePoint> &LodCache::points(const TimeSeries &series, std::int64_t first,
                                              std::int64_t last,
                                              std::chrono::milliseconds bucketWidth)
{
    bucketWidth = std::max(bucketWidth, std::chrono::milliseconds(1));
    if (bucketWidth != m_width) {
        m_width = bucketWidth;
        m_buckets.clear();
        m_points.clear();
    }
    invalidateChanged(series);
    if (last < first) {
        m_buckets.clear();
        m_points.clear();
        return m_points;
    }
    while (!m_buckets.empty() && m_buckets.front().index < first) {
        dropFront();
    }
    while (!m_buckets.empty() && m_buckets.back().index > last) {
        dropBack();
    }
    if (m_buckets.empty() || m_buckets.front().index > last || m_buckets.back().index < first) {
        m_buckets.clear();
        m_points.clear();
    }

    if (m_buckets.empty()) {
        for (std::int64_t i = first; i <= last; ++i) {
            m_buckets.push_back({i, 0});
        }
        compute(series, first, last, [this, first](std::int64_t bucket, const TimePoint &point) {
            m_points.push_back(point);
            ++m_buckets[static_cast<std::size_t>(bucket - first)].count;
        });
        return m_points;
    }

    // Buckets that scrolled into view on the left, collected first so they can be put in front
    // in order.
    const std::int64_t cachedFirst = m_buckets.front().index;
    if (first < cachedFirst) {
        std::vector<Bucket> buckets;
        std::vector<TimePoint> points;
        for (std::int64_t i = first; i < cachedFirst; ++i) {
            buckets.push_back({i, 0});
        }
        compute(series, first, cachedFirst - 1, [&](std::int64_t bucket, const TimePoint &point) {
            points.push_back(point);
            ++buckets[static_cast<std::size_t>(bucket - first)].count;
        });
        m_points.insert(m_points.begin(), points.begin(), points.end());
        m_buckets.insert(m_buckets.begin(), buckets.begin(), buckets.end());
    }
    const std::int64_t cachedLast = m_buckets.back().index;
    if (last > cachedLast) {
        const std::size_t offset = m_buckets.size();
        for (std::int64_t i = cachedLast + 1; i <= last; ++i) {
            m_buckets.push_back({i, 0});
        }
        compute(series, cachedLast + 1, last, [&](std::int64_t bucket, const TimePoint &point) {
            m_points.push_back(point);
            ++m_buckets[offset + static_cast<std::size_t>(bucket - cachedLast - 1)].count;
        });
    }
    return m_points;
}

} // namespace canary
