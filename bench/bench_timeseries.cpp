// Measures the KPI history at its design load: 24 h at 1 s for 2 variants x 7 KPIs.
// Prints append cost, heap use, range and decimation times (medians of repeated runs).
#include "metrics/timeseriesstore.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

using namespace canary;
using namespace canary::metrics;

namespace {

template<typename Work> double medianMicroseconds(int runs, Work work)
{
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        times.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

} // namespace

int main()
{
    const SystemTime t0{std::chrono::milliseconds(1'700'000'000'000)};
    const int seconds = 24 * 3600 + 3600; // an hour past retention, so trimming runs too

    const auto heapBefore = mallinfo2().uordblks;
    auto store = std::make_unique<TimeSeriesStore>(std::chrono::hours(24));
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < seconds; ++s) {
        const auto time = t0 + std::chrono::seconds(s);
        for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            for (Kpi kpi : kAllKpis) {
                store->append(role, kpi, time, (s % 600 == 0) ? 1e3 : (s % 97) * 0.01);
            }
        }
    }
    const double appendNs =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        (14.0 * seconds);
    const auto heapAfter = mallinfo2().uordblks;

    const TimeSeries &series = store->series(VariantRole::Canary, Kpi::LatencyP99);
    const auto from = series.front().time;
    const auto to = series.back().time;
    std::size_t sink = 0;
    const double rangeUs = medianMicroseconds(
        1001, [&] { sink += series.range(to - std::chrono::minutes(5), to).size(); });
    const double decimateUs =
        medianMicroseconds(101, [&] { sink += series.decimated(from, to, 800).size(); });
    const double decimateHourUs = medianMicroseconds(
        101, [&] { sink += series.decimated(to - std::chrono::hours(1), to, 800).size(); });

    std::printf("points: %zu (%zu per line)\n", store->pointCount(), series.size());
    std::printf("heap: %.2f MB measured, %.2f MB estimated\n",
                static_cast<double>(heapAfter - heapBefore) / 1e6,
                static_cast<double>(store->memoryBytes()) / 1e6);
    std::printf("append: %.1f ns per point (with retention trim)\n", appendNs);
    std::printf("range, last 5 min: %.2f us\n", rangeUs);
    std::printf("decimated, 24 h -> 800 buckets: %.0f us (%zu points)\n", decimateUs,
                series.decimated(from, to, 800).size());
    std::printf("decimated, 1 h -> 800 buckets: %.0f us\n", decimateHourUs);
    return sink == 0 ? 1 : 0;
}
