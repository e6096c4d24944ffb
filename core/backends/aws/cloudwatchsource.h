#pragma once

#include "backends/aws/awsclient.h"
#include "backends/metricssource.h"
#include "util/clock.h"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canary {

// Whose metrics: a SageMaker endpoint and its two variants (CloudWatch's EndpointName and
// VariantName dimensions in the AWS/SageMaker namespace).
struct CloudWatchTarget
{
    std::string endpoint;
    std::string production; // variant name
    std::string canary;     // variant name
};

namespace cloudwatch {

// One variant's numbers of one CloudWatch period, as SageMaker publishes them. NaN where
// CloudWatch has no datapoint; SageMaker publishes none for a minute without invocations.
struct Period
{
    double invocations = 0;
    double errors4xx = 0;
    double errors5xx = 0;
    // ModelLatency in microseconds (SageMaker's unit).
    double averageMicros = std::numeric_limits<double>::quiet_NaN();
    double p50Micros = std::numeric_limits<double>::quiet_NaN();
    double p95Micros = std::numeric_limits<double>::quiet_NaN();
    double p99Micros = std::numeric_limits<double>::quiet_NaN();
};

// A variant's KPIs over `seconds` from a period's numbers. Errors are 4XX plus 5XX: a model that
// refuses valid input answers 4XX, and a canary doing so is failing. No accuracy (CloudWatch
// has no labels) and no weight (that is the endpoint's, not a metric): both unknown with a reason.
metrics::VariantKpis variantKpis(const Period &period, double seconds, const std::string &variant);

// Every result of GetMetricData answers, by query id: value by timestamp (epoch seconds).
using Results = std::map<std::string, std::map<std::int64_t, double>>;
// Adds one GetMetricData answer's results; false and a sentence when it is not the API's shape.
bool addResults(const nlohmann::json &answer, Results &results, std::string *error);

} // namespace cloudwatch

// SageMaker's metrics from CloudWatch (docs/backends.md, "SageMaker"): Invocations,
// Invocation4XXErrors, Invocation5XXErrors and ModelLatency (average, p50, p95, p99) of both
// variants, with GetMetricData. CloudWatch has them per minute, and a minute appears a minute or
// more after it ends: a window ends at the newest minute CloudWatch has, and says so (its `to`
// is that minute's end, however long ago), and covers whole minutes (at least one, however short
// the window asked for). Latency quantiles are CloudWatch's own percentiles over the whole window,
// never an average of shorter ones. CloudWatch is asked at most every `refresh`; reads in
// between get the last answer again, of the same moment.
class CloudWatchSource final : public MetricsSource
{
    Q_OBJECT

public:
    struct Settings
    {
        std::chrono::milliseconds refresh{std::chrono::seconds(20)};
        // How far back to look for the newest minute, beyond the longest window asked for.
        std::chrono::minutes lookback{20};
    };

    CloudWatchSource(std::unique_ptr<aws::JsonClient> client, CloudWatchTarget target,
                     const Clock &clock, Settings settings, QObject *parent = nullptr);
    ~CloudWatchSource() override;

    MetricsCapabilities capabilities() const override;
    std::string address() const override;
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override;
    // Every complete minute that begins at or after `since`, as one window (CloudWatch's own
    // percentiles over exactly those minutes), or no window while CloudWatch has none newer.
    void readSince(SystemTime since, std::chrono::milliseconds length, QObject *context,
                   ReadCallback onDone) override;
    // One point per CloudWatch minute in [from, to] that has data, each over that minute,
    // whatever step and window are asked for (CloudWatch has nothing finer).
    void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                     std::chrono::milliseconds window, QObject *context,
                     HistoryCallback onDone) override;

private:
    struct Fetch;
    struct ReadJob;
    using FetchCallback = std::function<void(cloudwatch::Results, std::string)>;

    // GetMetricData over [start, end) with every page, then `onDone`.
    void fetch(nlohmann::json queries, std::int64_t start, std::int64_t end, QObject *context,
               FetchCallback onDone);
    void fetchPage(std::shared_ptr<Fetch> fetch);
    nlohmann::json countQueries(int periodSeconds) const;
    nlohmann::json latencyQueries(int periodSeconds, const std::string &idPrefix) const;
    std::string sentence(const std::string &what) const;
    // The per-minute counts over [start, end), the newest minute with data, then the latency.
    void readCounts(std::shared_ptr<ReadJob> job, std::int64_t start, std::int64_t end);
    void readLatency(std::shared_ptr<ReadJob> job);
    void repeatLast(QObject *context, ReadCallback onDone);
    void failRead(const std::shared_ptr<ReadJob> &job, std::string error);
    void finishRead(ReadJob &job);
    const std::string &variantName(VariantRole role) const;

    std::unique_ptr<aws::JsonClient> m_client;
    CloudWatchTarget m_target;
    const Clock &m_clock;
    Settings m_settings;
    std::optional<MetricsReading> m_last; // the last answer, for reads within `refresh`
    std::vector<std::chrono::milliseconds> m_lastWindows;
    std::optional<std::int64_t> m_lastSince; // set when the last answer was readSince's
    SystemTime m_lastAsked{};
};

} // namespace canary
