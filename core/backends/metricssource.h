#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"
#include "metrics/kpisnapshot.h"

#include <QObject>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace canary {

// What one kind of metrics source can give. A KPI a source cannot give is left unknown with a
// reason (never zero, never estimated), and `limits` says so once, in words.
struct MetricsCapabilities
{
    std::string kind;      // "Control API /metrics", "Prometheus", "HAProxy": named in errors
    bool history = false;  // readHistory() answers, so the charts can be back-filled
    bool quantiles = true; // latency p50/p95/p99 are true quantiles
    bool accuracy = true;  // accuracy from labelled predictions can be known
    // The finest spacing of the source's points (CloudWatch: a minute); 0 when it is as fine as
    // asked. History points closer than this are not to be expected, so their spacing is no gap.
    std::chrono::milliseconds granularity{0};
    // A sentence for the operator when the source lacks something, e.g. "HAProxy's counters
    // give no accuracy and no true latency quantiles."; empty when it lacks nothing.
    std::string limits;
};

// One reading of a source: the KPI windows asked for, all ending at the newest data.
struct MetricsReading
{
    std::string error; // a sentence naming the source when it could not be read; then no windows
    SystemTime time{}; // the moment the windows end at
    // One per window length asked for, in the same order; nullopt where the source has no window
    // of that length yet (a scraping source's first scrape after a gap is only a baseline). A
    // window right after a gap may be shorter than asked: its from/to say what it spans.
    std::vector<std::optional<KpiSnapshot>> windows;

    bool ok() const { return error.empty(); }
};

// KPI points over a past time range, for back-filling the charts on connect.
struct MetricsHistory
{
    std::string error;
    // Oldest first; each over the window asked for, ending at its `time`. Missing steps are gaps.
    std::vector<metrics::KpiResult> points;

    bool ok() const { return error.empty(); }
};

// The measuring side of a backend: both variants' KPIs over a window of time. A scraping source
// (the Control API's /metrics) turns counters into windows itself from the scrapes it keeps;
// Prometheus and CloudWatch answer with rates over the window. Asynchronous like ControlPlane:
// the callback runs on the thread of `context`, not at all once `context` is gone, and a source
// never has two reads of its own in flight (the monitor asks one at a time).
class MetricsSource : public QObject
{
    Q_OBJECT

public:
    using ReadCallback = std::function<void(MetricsReading)>;
    using HistoryCallback = std::function<void(MetricsHistory)>;
    using QObject::QObject;

    virtual MetricsCapabilities capabilities() const = 0;
    // Where the source is, fit to show and log: never a secret.
    virtual std::string address() const = 0;

    // Reads the source now. For each length in `windows`, the KPIs over that length ending at the
    // newest data. A failed read is a gap: no window after it spans it.
    virtual void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                      ReadCallback onDone) = 0;
    // The KPIs from `since` (where the caller's last window ended) to the newest data, for a
    // caller that must neither miss data nor count it twice (a rollout plan's judge); `length` is
    // that span measured to now. A source whose windows end at now (scrapes, Prometheus) reads a
    // window that long, which is what this default does. A source whose newest data lags behind
    // now (CloudWatch) overrides it to give exactly the data after `since`, or no window (nullopt)
    // while it has nothing newer.
    virtual void readSince(SystemTime /*since*/, std::chrono::milliseconds length, QObject *context,
                           ReadCallback onDone)
    {
        read({length}, context, std::move(onDone));
    }
    // KPI points over `window` ending at every `step` in [from, to]. A source without history
    // (capabilities().history false) answers with an error saying so.
    virtual void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                             std::chrono::milliseconds window, QObject *context,
                             HistoryCallback onDone) = 0;
};

} // namespace canary
