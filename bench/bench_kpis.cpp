// Cost of the KPIs over scrapes with many distinct series: N canary_requests_total series per
// variant (distinct `instance` labels) plus one latency histogram.
// Usage: bench_kpis [N] (default 286000)

#include "metrics/kpi.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace canary;
using namespace canary::metrics;

namespace {

Sample sample(std::string name, std::vector<Label> labels, double value)
{
    Sample out;
    out.name = std::move(name);
    out.labels = std::move(labels);
    out.value = value;
    return out;
}

Exposition makeExposition(int series, double step)
{
    Exposition e;
    MetricFamily &requests = e.families.emplace_back();
    requests.name = "canary_requests_total";
    requests.type = MetricType::Counter;
    requests.samples.reserve(std::size_t(series));
    for (int i = 0; i < series; ++i) {
        const char *variant = i % 10 == 0 ? "canary" : "production";
        requests.samples.push_back(sample(
            "canary_requests_total",
            {{"variant", variant}, {"version", "1.0"}, {"instance", "host-" + std::to_string(i)}},
            1000 + step * (i % 7)));
    }
    MetricFamily &latency = e.families.emplace_back();
    latency.name = "canary_request_duration_seconds";
    latency.type = MetricType::Histogram;
    for (const char *variant : {"production", "canary"}) {
        double count = 0;
        for (const char *le : {"0.1", "0.5", "1", "+Inf"}) {
            count += 100 * step;
            latency.samples.push_back(sample("canary_request_duration_seconds_bucket",
                                             {{"variant", variant}, {"version", "1.0"}, {"le", le}},
                                             count));
        }
    }
    return e;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char **argv)
{
    const int series = argc > 1 ? std::atoi(argv[1]) : 286000;
    const SystemTime t0{std::chrono::seconds(1'700'000'000)};

    const Scrape before{t0, makeExposition(series, 1)};
    const Scrape after{t0 + std::chrono::seconds(1), makeExposition(series, 2)};
    auto start = std::chrono::steady_clock::now();
    KpiResult result = computeKpis(before, after);
    std::printf("%d series: computeKpis, flattening both scrapes: %.3f s (production %.0f req/s)\n",
                series, secondsSince(start), result.production.requestRate);

    // The monitor's way: each scrape flattened once when made, then windows over them.
    start = std::chrono::steady_clock::now();
    std::vector<Scrape> scrapes;
    for (int i = 0; i <= 30; ++i) {
        Scrape &made = scrapes.emplace_back(
            makeScrape(t0 + std::chrono::seconds(i), makeExposition(series, i)));
        // The KPIs read only the flattened series: the samples need not be kept for a window.
        made.exposition.families = {};
    }
    std::printf("31 scrapes made (built and flattened): %.3f s, %.3f s each\n", secondsSince(start),
                secondsSince(start) / 31);
    start = std::chrono::steady_clock::now();
    result = computeKpis(scrapes[29], scrapes[30]);
    std::printf("computeKpis of two made scrapes: %.3f s\n", secondsSince(start));
    start = std::chrono::steady_clock::now();
    result = computeKpisOver(scrapes);
    std::printf("computeKpisOver 31 made scrapes (30 s): %.3f s (production %.0f req/s)\n",
                secondsSince(start), result.production.requestRate);
    return result.ok() ? 0 : 1;
}
