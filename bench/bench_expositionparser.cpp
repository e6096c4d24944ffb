// Parse throughput of the exposition parser: realistic.txt (Prometheus text 0.0.4) and a generated
// OpenMetrics scrape of similar size. Usage: bench_expositionparser [realistic.txt] [iterations]
// Memory (run under /usr/bin/time -v): bench_expositionparser --once FILE [whole|console] parses
// FILE once, keeping every sample (whole) or as the console's metrics scraper reads an answer.

#include "backends/scrape/metricsscraper.h"
#include "metrics/expositionparser.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using canary::metrics::ExpositionFormat;

namespace {

std::string readFile(const char *path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A valid OpenMetrics scrape as a model server would expose it: two variants, counters with
// exemplars, latency histograms, gauges.
std::string makeOpenMetrics()
{
    std::string out;
    const char *variants[] = {"production", "canary"};
    out += "# TYPE inference_requests counter\n# HELP inference_requests Requests served.\n";
    for (const char *v : variants) {
        for (int code : {200, 400, 429, 500, 503}) {
            out += "inference_requests_total{variant=\"" + std::string(v) + "\",code=\"" +
                   std::to_string(code) + "\"} " + std::to_string(code * 1234) +
                   " # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1 1700000000.123\n";
        }
    }
    out += "# TYPE inference_latency_seconds histogram\n"
           "# UNIT inference_latency_seconds seconds\n"
           "# HELP inference_latency_seconds Model latency.\n";
    const char *bounds[] = {"0.005", "0.01", "0.025", "0.05", "0.1",  "0.25",
                            "0.5",   "1.0",  "2.5",   "5.0",  "10.0", "+Inf"};
    for (const char *v : variants) {
        for (const char *model : {"resnet50", "bert-base", "gpt-small", "xgb-ranker"}) {
            long cumulative = 0;
            for (const char *le : bounds) {
                cumulative += 137;
                out += "inference_latency_seconds_bucket{variant=\"" + std::string(v) +
                       "\",model=\"" + model + "\",le=\"" + le + "\"} " +
                       std::to_string(cumulative) + "\n";
            }
            out += "inference_latency_seconds_count{variant=\"" + std::string(v) + "\",model=\"" +
                   model + "\"} " + std::to_string(cumulative) + "\n";
            out += "inference_latency_seconds_sum{variant=\"" + std::string(v) + "\",model=\"" +
                   model + "\"} 1234.5678\n";
        }
    }
    for (int i = 0; i < 40; ++i) {
        const std::string name = "process_gauge_" + std::to_string(i);
        out += "# TYPE " + name + " gauge\n# HELP " + name + " A gauge.\n";
        out += name + "{instance=\"10.0.0.1:9100\",job=\"serving\"} " + std::to_string(i * 3.25) +
               "\n";
    }
    out += "# EOF\n";
    return out;
}

struct Result
{
    double medianMicros = 0;
    double megabytesPerSecond = 0;
};

Result measure(const std::string &text, ExpositionFormat format, int iterations)
{
    std::vector<double> micros;
    micros.reserve(std::size_t(iterations));
    std::size_t sink = 0;
    for (int i = 0; i < iterations; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto exposition = canary::metrics::parseExposition(text, format);
        const auto stop = std::chrono::steady_clock::now();
        sink += exposition.families.size();
        micros.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
    }
    std::nth_element(micros.begin(), micros.begin() + iterations / 2, micros.end());
    Result r;
    r.medianMicros = micros[std::size_t(iterations / 2)];
    r.megabytesPerSecond = double(text.size()) / r.medianMicros; // bytes per µs == MB/s
    if (sink == 0)
        std::puts("(no families parsed)");
    return r;
}

int report(const char *label, const std::string &text, ExpositionFormat format, int iterations)
{
    const auto check = canary::metrics::parseExposition(text, format);
    if (!check.ok()) {
        const auto &e = check.errors.front();
        std::fprintf(stderr, "%s: input does not parse (%d:%d %s)\n", label, e.line, e.column,
                     e.message.c_str());
        return 1;
    }
    std::size_t samples = 0;
    for (const auto &f : check.families)
        samples += f.samples.size();
    measure(text, format, std::max(10, iterations / 10)); // warm-up
    const Result r = measure(text, format, iterations);
    std::printf("%-28s %7zu bytes %4zu families %5zu samples  median %8.1f us/parse  %7.1f MB/s\n",
                label, text.size(), check.families.size(), samples, r.medianMicros,
                r.megabytesPerSecond);
    return 0;
}

int parseOnce(const char *path, bool asConsole)
{
    std::string text = readFile(path);
    const std::size_t bytes = text.size();
    const auto start = std::chrono::steady_clock::now();
    std::size_t samples = 0;
    std::string verdict = "ok";
    if (asConsole) {
        canary::HttpResponse response;
        response.status = 200;
        response.headers.emplace_back("content-type", "text/plain; version=0.0.4");
        response.body = std::move(text);
        const auto result = canary::MetricsScraper::interpretAnswer(response, {});
        for (const auto &f : result.scrape.exposition.families)
            samples += f.samples.size();
        if (!result.ok())
            verdict = result.error;
    } else {
        const auto exposition =
            canary::metrics::parseExposition(text, ExpositionFormat::PrometheusText);
        for (const auto &f : exposition.families)
            samples += f.samples.size();
        if (!exposition.ok())
            verdict = exposition.errors.front().message;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu bytes, %zu samples kept, %.3f s, %s\n", path, bytes, samples, seconds,
                verdict.c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 2 && std::strcmp(argv[1], "--once") == 0)
        return parseOnce(argv[2], argc > 3 && std::strcmp(argv[3], "console") == 0);
    const char *path = argc > 1 ? argv[1] : CANARY_TEST_DATA "/prometheus-text/realistic.txt";
    const int iterations = argc > 2 ? std::max(10, std::atoi(argv[2])) : 2000;
    const std::string realistic = readFile(path);
    if (realistic.empty()) {
        std::fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    int failures = 0;
    failures +=
        report("realistic.txt (0.0.4)", realistic, ExpositionFormat::PrometheusText, iterations);
    const std::string openMetrics = makeOpenMetrics();
    failures +=
        report("generated (OpenMetrics)", openMetrics, ExpositionFormat::OpenMetrics, iterations);
    return failures == 0 ? 0 : 1;
}
