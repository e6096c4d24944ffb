#pragma once

#include "answerqueue.h"

#include "backends/metricssource.h"
#include "metrics/kpi.h"
#include "metrics/kpisnapshot.h"
#include "util/clock.h"

#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canary::testing {

// A MetricsSource without a socket, for monitor, action and window tests. read() answers with
// the oldest reading the test pushed, else with what the generator makes of the windows asked
// and the clock's time, else with an error saying nothing is scripted. Scripted failures
// (failNext) come before either, in the order queued.
//
// Answers never come inside the call: they arrive on the next turn of the event loop as a queued
// invocation on the context (see AnswerQueue), or wait until released while holdAnswers(true).
// Drive them with QCoreApplication::processEvents() or QTRY_*. The fake also counts how many of
// its reads are in flight at once, so a test can hold the monitor to "one read at a time".
class FakeMetricsSource final : public MetricsSource
{
    Q_OBJECT

public:
    using Windows = std::vector<std::chrono::milliseconds>;
    using Generator = std::function<MetricsReading(const Windows &windows, SystemTime now)>;

    // Simple numbers for one variant over one window, turned into KPIs by kpis() below.
    struct VariantNumbers
    {
        static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

        double requests = 0; // served in the window
        double errors = 0;   // of those, failed
        double p99Ms = kUnset;
        double p50Ms = kUnset;          // unset: half of p99
        double p95Ms = kUnset;          // unset: 80 % of p99
        std::optional<double> accuracy; // 0..1 over `requests` labelled predictions; unset: unknown
        double weightPercent = kUnset;  // unset: unknown
        std::string version;            // unset: "1.0" for production, "2.0" for canary
    };

    struct HistoryRequest
    {
        SystemTime from{};
        SystemTime to{};
        std::chrono::milliseconds step{};
        std::chrono::milliseconds window{};
    };

    explicit FakeMetricsSource(QObject *parent = nullptr);

    // The kind "Fake metrics source", with history, quantiles and accuracy.
    static MetricsCapabilities defaultCapabilities();
    void setCapabilities(MetricsCapabilities capabilities);
    void setAddress(std::string address) { m_address = std::move(address); }
    // The clock a generator and a failure are given the time of; the system clock unless set.
    // Must outlive the fake.
    void setClock(const Clock &clock) { m_clock = &clock; }

    // Scripting read().
    void pushReading(MetricsReading reading) { m_readings.push_back(std::move(reading)); }
    int queuedReadings() const { return int(m_readings.size()); }
    void setGenerator(Generator generator) { m_generator = std::move(generator); }
    // The next read answers with `sentence` as its error (a gap); in the order queued.
    void failNext(std::string sentence) { m_failures.push_back(std::move(sentence)); }

    // Scripting readHistory(): answered with the points whose time is in [from, to], or with the
    // history's error. A kind without history answers with an error saying so.
    void setHistory(MetricsHistory history) { m_history = std::move(history); }

    // What was asked.
    int readCount() const { return int(m_windowsAsked.size()); }
    const std::vector<Windows> &windowsAsked() const { return m_windowsAsked; }
    int historyReadCount() const { return int(m_historyAsked.size()); }
    const std::vector<HistoryRequest> &historyAsked() const { return m_historyAsked; }
    // Reads asked whose answer has neither run nor been dropped, now and at most so far.
    int readsInFlight() const { return m_inFlight; }
    int mostReadsInFlight() const { return m_mostInFlight; }

    // Holding answers (see AnswerQueue); history answers are held alike.
    void holdAnswers(bool on) { m_answers.hold(on); }
    int pendingCount() const { return m_answers.pendingCount(); }
    bool releaseNext() { return m_answers.releaseNext(); }
    int releaseAll() { return m_answers.releaseAll(); }
    void dropHeldAnswers() { m_answers.dropAll(); }

    // Plausible KPIs from simple numbers: rates over `window`, error ratio errors / requests,
    // latency in seconds, accuracy as given; whatever cannot be known (no requests, no latency,
    // no accuracy, no weight) is unknown with a reason, as the real computation leaves it.
    static metrics::KpiResult kpis(const VariantNumbers &production, const VariantNumbers &canary,
                                   std::chrono::milliseconds window, SystemTime end);
    // The same as a snapshot over (end - window, end] resting on `readings` readings.
    static KpiSnapshot snapshot(const VariantNumbers &production, const VariantNumbers &canary,
                                std::chrono::milliseconds window, SystemTime end,
                                std::size_t readings = 1);
    // A reading at `end` with one snapshot per window asked, at the same traffic rate in each:
    // the counts are those of the first window, scaled by each window's length.
    static MetricsReading steadyReading(const Windows &windows, SystemTime end,
                                        const VariantNumbers &production,
                                        const VariantNumbers &canary);

    // MetricsSource
    MetricsCapabilities capabilities() const override { return m_capabilities; }
    std::string address() const override { return m_address; }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override;
    void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                     std::chrono::milliseconds window, QObject *context,
                     HistoryCallback onDone) override;

private:
    // Marks one read as in flight until close() or until the last copy of its answer goes
    // (run or dropped with its context).
    struct InFlight
    {
        explicit InFlight(FakeMetricsSource *source);
        ~InFlight() { close(); }
        void close();

        QPointer<FakeMetricsSource> source;
        bool open = true;
    };

    MetricsReading nextReading(const Windows &windows);

    MetricsCapabilities m_capabilities = defaultCapabilities();
    std::string m_address = "fake://metrics";
    const Clock *m_clock = &SystemClock::instance();
    std::deque<MetricsReading> m_readings;
    Generator m_generator;
    std::deque<std::string> m_failures;
    MetricsHistory m_history;
    std::vector<Windows> m_windowsAsked;
    std::vector<HistoryRequest> m_historyAsked;
    int m_inFlight = 0;
    int m_mostInFlight = 0;
    AnswerQueue m_answers;
};

} // namespace canary::testing
