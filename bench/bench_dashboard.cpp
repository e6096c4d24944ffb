// The desktop dashboard at its design load: 24 h of 1-second history in every series of both
// variants, a ChartGrid at 1280x800 showing the whole day. Measures (a) a full refresh after new
// data (markDirty + refresh + the paint it causes), (b) CPU use at one update a second, and
// (c) resident memory. argv[1]: seconds for (b), 20 by default; argv[2]: iterations for (a), 200.
#include "chartgrid.h"
#include "metrics/timeseriesstore.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>
#include <QWindow>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace canary;
using metrics::Kpi;
using metrics::TimeSeriesStore;

namespace {

class Generator
{
public:
    double next(VariantRole role, Kpi kpi, long second)
    {
        const bool canary = role == VariantRole::Canary;
        const double day = std::sin(2 * M_PI * static_cast<double>(second) / 86400.0);
        const double n = m_noise(m_random);
        switch (kpi) {
        case Kpi::RequestRate:
            return (canary ? 45.0 : 400.0) * (1.0 + 0.3 * day) * (1.0 + 0.03 * n);
        case Kpi::ErrorRate:
            return std::max(0.0, (canary ? 0.011 : 0.005) + 0.002 * n);
        case Kpi::Accuracy:
            return std::clamp((canary ? 0.936 : 0.947) + 0.004 * n, 0.0, 1.0);
        case Kpi::LatencyP50:
            return (canary ? 0.058 : 0.042) * (1.0 + 0.15 * day) + 0.002 * n;
        case Kpi::LatencyP95:
            return (canary ? 0.140 : 0.090) * (1.0 + 0.15 * day) + 0.006 * n;
        case Kpi::LatencyP99:
            // Occasional tail spikes, as real p99s have.
            return (canary ? 0.260 : 0.150) * (1.0 + 0.15 * day) + 0.015 * std::abs(n) +
                   (second % 977 == 0 ? 0.4 : 0.0);
        case Kpi::Weight:
            return canary ? 10.0 : 90.0;
        }
        return 0.0;
    }

private:
    std::mt19937 m_random{7};
    std::normal_distribution<double> m_noise{0.0, 1.0};
};

void appendSecond(TimeSeriesStore &store, Generator &generator, SystemTime time, long second)
{
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (const Kpi kpi : metrics::kAllKpis) {
            store.append(role, kpi, time, generator.next(role, kpi, second));
        }
    }
}

long residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLong();
        }
    }
    return -1;
}

std::string loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    if (!file.open(QIODevice::ReadOnly)) {
        return "unknown";
    }
    return file.readAll().trimmed().toStdString();
}

double cpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval &t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(index, 1, values.size()) - 1];
}

double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// Wall time is what the operator sees; CPU time of the GUI thread is the same work without the
// waits for a busy machine's other processes, so both are reported.
struct Timing
{
    double median = 0;
    double p95 = 0;
    double cpuMedian = 0;
    double cpuP95 = 0;
};

// One live tick: a new point in every series, the clock moves, the grid redraws and paints.
Timing measureRefresh(ChartGrid &grid, TimeSeriesStore &store, Generator &generator,
                      SystemTime &now, long &second, int iterations)
{
    std::vector<double> times;
    std::vector<double> cpuTimes;
    for (int i = 0; i < iterations; ++i) {
        now += std::chrono::seconds(1);
        ++second;
        appendSecond(store, generator, now, second);
        QElapsedTimer timer;
        timer.start();
        const double cpuStart = threadCpuMs();
        grid.setNow(now);
        grid.markDirty();
        grid.refresh();
        QCoreApplication::processEvents(); // the paint events the replots posted
        times.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
        cpuTimes.push_back(threadCpuMs() - cpuStart);
    }
    return {percentile(times, 0.5), percentile(times, 0.95), percentile(cpuTimes, 0.5),
            percentile(cpuTimes, 0.95)};
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    const int idleSeconds = argc > 1 ? std::clamp(std::atoi(argv[1]), 1, 600) : 20;
    const int iterations = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 10000) : 200;
    const long rssStart = residentKiB();

    auto store = std::make_unique<TimeSeriesStore>(std::chrono::hours(24));
    Generator generator;
    const long historySeconds = 24 * 3600;
    SystemTime now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) -
        std::chrono::seconds(historySeconds);
    long second = 0;
    for (; second < historySeconds; ++second, now += std::chrono::seconds(1)) {
        // Five outages of 40 missed polls each over the day.
        if (second % 17000 >= 16000 && second % 17000 < 16040) {
            store->appendGap(now);
            continue;
        }
        appendSecond(*store, generator, now, second);
    }
    now -= std::chrono::seconds(1);
    --second;
    const long rssHistory = residentKiB();

    ChartGrid grid(*store);
    grid.resize(1280, 800);
    grid.setTimeWindow(std::chrono::hours(24));
    grid.setNow(now);
    QElapsedTimer cold;
    cold.start();
    grid.show();
    while (!grid.windowHandle() || !grid.windowHandle()->isExposed()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    grid.refresh();
    QCoreApplication::processEvents();
    const double coldMs = static_cast<double>(cold.nsecsElapsed()) / 1e6;

    const Timing side = measureRefresh(grid, *store, generator, now, second, iterations);
    grid.setOverlay(true);
    grid.refresh();
    const Timing overlay = measureRefresh(grid, *store, generator, now, second, iterations);
    grid.setOverlay(false);
    grid.setTimeWindow(std::chrono::minutes(5));
    grid.refresh();
    const Timing shortWindow = measureRefresh(grid, *store, generator, now, second, iterations);
    grid.setTimeWindow(std::chrono::hours(24));
    grid.refresh();
    QCoreApplication::processEvents();

    // (b) One update a second, as the console does while live, in a running event loop.
    QTimer tick;
    tick.setInterval(1000);
    QObject::connect(&tick, &QTimer::timeout, &grid, [&] {
        now += std::chrono::seconds(1);
        ++second;
        appendSecond(*store, generator, now, second);
        grid.setNow(now);
        grid.markDirty();
        grid.refresh();
    });
    QEventLoop loop;
    QTimer::singleShot(std::chrono::seconds(idleSeconds), &loop, &QEventLoop::quit);
    const double cpuBefore = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    tick.start();
    loop.exec();
    tick.stop();
    const double cpuPercent =
        100.0 * (cpuSeconds() - cpuBefore) / (static_cast<double>(wall.nsecsElapsed()) / 1e9);
    const long rssEnd = residentKiB();

    std::printf("Dashboard at 24 h x 1 s history: %zu points in %zu series, store heap %.1f MB\n",
                store->pointCount(), 2 * metrics::kKpiCount,
                static_cast<double>(store->memoryBytes()) / 1e6);
    std::printf("%-52s %10s %10s %8s\n", "measure", "value", "target", "ok");
    const auto row = [](const char *name, double value, const char *unit, double target) {
        char valueText[32];
        char targetText[32];
        std::snprintf(valueText, sizeof valueText, "%.2f %s", value, unit);
        std::snprintf(targetText, sizeof targetText, "%.0f %s", target, unit);
        std::printf("%-52s %10s %10s %8s\n", name, valueText, targetText,
                    value <= target ? "yes" : "NO");
    };
    const auto info = [](const char *name, double value, const char *unit) {
        char valueText[32];
        std::snprintf(valueText, sizeof valueText, "%.2f %s", value, unit);
        std::printf("%-52s %10s %10s %8s\n", name, valueText, "-", "-");
    };
    info("first show + refresh (cold)", coldMs, "ms");
    row("(a) full refresh, 24 h side by side, median", side.median, "ms", 16);
    info("(a) full refresh, 24 h side by side, p95", side.p95, "ms");
    row("    same, CPU time of the GUI thread, median", side.cpuMedian, "ms", 16);
    info("    same, CPU time of the GUI thread, p95", side.cpuP95, "ms");
    info("    24 h overlay, median", overlay.median, "ms");
    info("    24 h overlay, median CPU time", overlay.cpuMedian, "ms");
    info("    24 h overlay, p95", overlay.p95, "ms");
    info("    5 min side by side, median", shortWindow.median, "ms");
    info("    5 min side by side, median CPU time", shortWindow.cpuMedian, "ms");
    info("    5 min side by side, p95", shortWindow.p95, "ms");
    row("(b) CPU at 1 Hz updates (% of one core)", cpuPercent, "%", 3);
    info("    measured over", static_cast<double>(idleSeconds), "s");
    row("(c) resident memory with 24 h history (VmRSS)", static_cast<double>(rssEnd) / 1024.0, "MB",
        200);
    info("    VmRSS at start", static_cast<double>(rssStart) / 1024.0, "MB");
    info("    VmRSS after filling the store", static_cast<double>(rssHistory) / 1024.0, "MB");
    std::printf("load average at the end: %s\n", loadAverage().c_str());
    return 0;
}
