#include "cloudwatchsource.h"

#include "util/join.h"

#include <nlohmann/json.hpp>

#include <QPointer>

#include <algorithm>
#include <cmath>
#include <set>

namespace canary {

namespace cloudwatch {

namespace {

void setReason(metrics::VariantKpis &kpis, metrics::Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

} // namespace

metrics::VariantKpis variantKpis(const Period &period, double seconds, const std::string &variant)
{
    using metrics::Kpi;
    metrics::VariantKpis kpis;
    kpis.requestsInWindow = period.invocations;
    kpis.errorsInWindow = period.errors4xx + period.errors5xx;
    kpis.requestRate = seconds > 0 ? period.invocations / seconds : metrics::VariantKpis::kUnknown;
    const std::string none =
        join("CloudWatch counts no invocations of variant ", variant, " in the window");
    if (period.invocations > 0) {
        kpis.errorRatio = std::min(1.0, kpis.errorsInWindow / period.invocations);
    } else {
        setReason(kpis, Kpi::ErrorRate, none);
    }
    const auto seconds_ = [](double micros) {
        return std::isfinite(micros) && micros >= 0 ? micros / 1e6 : metrics::VariantKpis::kUnknown;
    };
    kpis.p50Seconds = seconds_(period.p50Micros);
    kpis.p95Seconds = seconds_(period.p95Micros);
    kpis.p99Seconds = seconds_(period.p99Micros);
    kpis.meanSeconds = seconds_(period.averageMicros);
    const std::string noLatency = period.invocations > 0
                                      ? join("CloudWatch has no ModelLatency statistic of variant ",
                                             variant, " for the window")
                                      : none;
    for (const Kpi kpi : {Kpi::LatencyP50, Kpi::LatencyP95, Kpi::LatencyP99}) {
        if (!kpis.known(kpi))
            setReason(kpis, kpi, noLatency);
    }
    if (std::isnan(kpis.meanSeconds))
        kpis.meanReason = noLatency;
    setReason(kpis, Kpi::Accuracy,
              "CloudWatch has no accuracy: SageMaker publishes no labelled outcomes");
    setReason(
        kpis, Kpi::Weight,
        "CloudWatch has no traffic weight; the endpoint's weights are shown with the rollout");
    return kpis;
}

bool addResults(const nlohmann::json &answer, Results &results, std::string *error)
{
    const auto fail = [&](const std::string &what) {
        if (error)
            *error = join("GetMetricData's answer ", what);
        return false;
    };
    if (!answer.is_object())
        return fail("is not a JSON object");
    const auto list = answer.find("MetricDataResults");
    if (list == answer.end() || !list->is_array())
        return fail("has no MetricDataResults");
    for (const nlohmann::json &result : *list) {
        if (!result.is_object() || !result.contains("Id") || !result["Id"].is_string())
            return fail("has a result without an Id");
        const std::string id = result["Id"].get<std::string>();
        if (const auto status = result.find("StatusCode");
            status != result.end() && status->is_string() && *status == "InternalError")
            return fail(
                join("says CloudWatch failed to compute ", id, " (StatusCode InternalError)"));
        const auto times = result.find("Timestamps");
        const auto values = result.find("Values");
        const bool hasTimes = times != result.end() && times->is_array();
        const bool hasValues = values != result.end() && values->is_array();
        if (!hasTimes && !hasValues) {
            results[id]; // no datapoints
            continue;
        }
        if (!hasTimes || !hasValues || times->size() != values->size())
            return fail(join("gives result ", id, " a different number of timestamps and values"));
        auto &series = results[id];
        for (std::size_t i = 0; i < times->size(); ++i) {
            const nlohmann::json &t = (*times)[i];
            const nlohmann::json &v = (*values)[i];
            if (!t.is_number() || !v.is_number() || !std::isfinite(t.get<double>()) ||
                !std::isfinite(v.get<double>()))
                return fail(
                    join("gives result ", id, " a timestamp or value that is not a number"));
            series[static_cast<std::int64_t>(std::llround(t.get<double>()))] = v.get<double>();
        }
    }
    return true;
}

} // namespace cloudwatch

namespace {

constexpr int kMinute = 60;
constexpr int kMaxPages = 50;

std::int64_t epochSeconds(SystemTime time)
{
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime fromEpochSeconds(std::int64_t seconds)
{
    return SystemTime(std::chrono::seconds(seconds));
}

std::int64_t floorMinute(std::int64_t seconds)
{
    return seconds - ((seconds % kMinute) + kMinute) % kMinute;
}

std::int64_t ceilMinute(std::int64_t seconds)
{
    const std::int64_t floor = floorMinute(seconds);
    return floor == seconds ? floor : floor + kMinute;
}

// Whole minutes a window covers: at least one, CloudWatch's finest period for these metrics.
constexpr int kMaxWindowMinutes = 24 * 60;

int minutesOf(std::chrono::milliseconds window)
{
    const auto minutes = (window.count() + 59'999) / 60'000;
    return static_cast<int>(std::clamp<long long>(minutes, 1, kMaxWindowMinutes));
}

struct Role
{
    const char *prefix; // "p", "c"
    VariantRole role;
};
constexpr Role kRoles[] = {{"p", VariantRole::Production}, {"c", VariantRole::Canary}};

struct Metric
{
    const char *id;
    const char *name;
    const char *stat;
};
constexpr Metric kCounts[] = {{"inv", "Invocations", "Sum"},
                              {"e4", "Invocation4XXErrors", "Sum"},
                              {"e5", "Invocation5XXErrors", "Sum"}};
constexpr Metric kLatency[] = {{"avg", "ModelLatency", "Average"},
                               {"p50", "ModelLatency", "p50"},
                               {"p95", "ModelLatency", "p95"},
                               {"p99", "ModelLatency", "p99"}};

std::optional<double> valueAt(const cloudwatch::Results &results, const std::string &id,
                              std::int64_t time)
{
    const auto series = results.find(id);
    if (series == results.end())
        return std::nullopt;
    const auto it = series->second.find(time);
    if (it == series->second.end())
        return std::nullopt;
    return it->second;
}

// The one datapoint of `id` in [from, to), or NaN.
double valueIn(const cloudwatch::Results &results, const std::string &id, std::int64_t from,
               std::int64_t to)
{
    const auto series = results.find(id);
    if (series == results.end())
        return std::numeric_limits<double>::quiet_NaN();
    const auto it = series->second.lower_bound(from);
    if (it == series->second.end() || it->first >= to)
        return std::numeric_limits<double>::quiet_NaN();
    return it->second;
}

} // namespace

struct CloudWatchSource::Fetch
{
    nlohmann::json request;
    QPointer<QObject> context;
    FetchCallback onDone;
    cloudwatch::Results results;
    int pages = 0;
};

CloudWatchSource::CloudWatchSource(std::unique_ptr<aws::JsonClient> client, CloudWatchTarget target,
                                   const Clock &clock, Settings settings, QObject *parent)
    : MetricsSource(parent)
    , m_client(std::move(client))
    , m_target(std::move(target))
    , m_clock(clock)
    , m_settings(settings)
{}

CloudWatchSource::~CloudWatchSource() = default;

MetricsCapabilities CloudWatchSource::capabilities() const
{
    MetricsCapabilities capabilities;
    capabilities.kind = "CloudWatch";
    capabilities.history = true;
    capabilities.quantiles = true;
    capabilities.accuracy = false;
    capabilities.granularity = std::chrono::minutes(1);
    capabilities.limits =
        "CloudWatch has SageMaker's numbers per minute, a minute or more after the minute ends: "
        "the newest numbers are as old as CloudWatch's newest minute, and it has no accuracy.";
    return capabilities;
}

std::string CloudWatchSource::address() const
{
    std::string shown = join("cloudwatch://?region=", m_client->settings().region);
    if (!m_client->settings().endpointUrl.empty())
        shown += join("&endpoint=", m_client->settings().endpointUrl);
    return shown;
}

std::string CloudWatchSource::sentence(const std::string &what) const
{
    return join("CloudWatch (", m_client->settings().region, ") ", what);
}

nlohmann::json CloudWatchSource::countQueries(int periodSeconds) const
{
    nlohmann::json queries = nlohmann::json::array();
    for (const Role &role : kRoles) {
        const std::string &variant = variantName(role.role);
        for (const Metric &metric : kCounts) {
            queries.push_back(
                {{"Id", join(role.prefix, "_", metric.id)},
                 {"MetricStat",
                  {{"Metric",
                    {{"Namespace", "AWS/SageMaker"},
                     {"MetricName", metric.name},
                     {"Dimensions", nlohmann::json::array(
                                        {{{"Name", "EndpointName"}, {"Value", m_target.endpoint}},
                                         {{"Name", "VariantName"}, {"Value", variant}}})}}},
                   {"Period", periodSeconds},
                   {"Stat", metric.stat}}},
                 {"ReturnData", true}});
        }
    }
    return queries;
}

nlohmann::json CloudWatchSource::latencyQueries(int periodSeconds,
                                                const std::string &idPrefix) const
{
    nlohmann::json queries = nlohmann::json::array();
    for (const Role &role : kRoles) {
        const std::string &variant = variantName(role.role);
        for (const Metric &metric : kLatency) {
            queries.push_back(
                {{"Id", join(idPrefix, role.prefix, "_", metric.id)},
                 {"MetricStat",
                  {{"Metric",
                    {{"Namespace", "AWS/SageMaker"},
                     {"MetricName", metric.name},
                     {"Dimensions", nlohmann::json::array(
                                        {{{"Name", "EndpointName"}, {"Value", m_target.endpoint}},
                                         {{"Name", "VariantName"}, {"Value", variant}}})}}},
                   {"Period", periodSeconds},
                   {"Stat", metric.stat}}},
                 {"ReturnData", true}});
        }
    }
    return queries;
}

void CloudWatchSource::fetch(nlohmann::json queries, std::int64_t start, std::int64_t end,
                             QObject *context, FetchCallback onDone)
{
    auto job = std::make_shared<Fetch>();
    job->request = {{"MetricDataQueries", std::move(queries)},
                    {"StartTime", start},
                    {"EndTime", end},
                    {"ScanBy", "TimestampAscending"}};
    job->context = context;
    job->onDone = std::move(onDone);
    fetchPage(std::move(job));
}

void CloudWatchSource::fetchPage(std::shared_ptr<Fetch> job)
{
    ++job->pages;
    m_client->call("GetMetricData", job->request, this, [this, job](aws::Answer answer) {
        if (!job->context)
            return;
        if (answer.error) {
            job->onDone({}, answer.error.sentence);
            return;
        }
        std::string problem;
        if (!cloudwatch::addResults(answer.document, job->results, &problem)) {
            job->onDone({}, sentence(problem));
            return;
        }
        const auto next = answer.document.find("NextToken");
        if (next != answer.document.end() && next->is_string() &&
            !next->get<std::string>().empty()) {
            if (job->pages >= kMaxPages) {
                job->onDone(
                    {}, sentence(join("kept answering with more pages (", std::to_string(kMaxPages),
                                      "); the reading was given up")));
                return;
            }
            job->request["NextToken"] = next->get<std::string>();
            fetchPage(job);
            return;
        }
        job->onDone(std::move(job->results), {});
    });
}

struct CloudWatchSource::ReadJob
{
    std::vector<std::chrono::milliseconds> windows;
    SystemTime asked{};
    QPointer<QObject> context;
    ReadCallback onDone;
    cloudwatch::Results counts;
    cloudwatch::Results latency;
    std::int64_t newest = 0;      // the start of the newest minute with data
    std::vector<int> lengthsLeft; // window lengths (minutes) whose latency is still to be read
    // readSince: the first minute to give (its start); the window is known once `newest` is.
    std::optional<std::int64_t> since;
};

void CloudWatchSource::read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                            ReadCallback onDone)
{
    const SystemTime now = m_clock.now();
    if (m_last && !m_lastSince && windows == m_lastWindows &&
        now - m_lastAsked < m_settings.refresh) {
        repeatLast(context, std::move(onDone));
        return;
    }
    auto job = std::make_shared<ReadJob>();
    job->windows = std::move(windows);
    job->asked = now;
    job->context = context;
    job->onDone = std::move(onDone);
    int longest = 1;
    std::set<int> lengths;
    for (const auto window : job->windows) {
        longest = std::max(longest, minutesOf(window));
        lengths.insert(minutesOf(window));
    }
    job->lengthsLeft.assign(lengths.begin(), lengths.end());
    // Complete minutes only: the one under way is still being counted.
    const std::int64_t end = floorMinute(epochSeconds(now));
    readCounts(job,
               end - (longest + static_cast<std::int64_t>(m_settings.lookback.count())) * kMinute,
               end);
}

void CloudWatchSource::readSince(SystemTime since, std::chrono::milliseconds, QObject *context,
                                 ReadCallback onDone)
{
    const SystemTime now = m_clock.now();
    const std::int64_t end = floorMinute(epochSeconds(now));
    // The minutes that begin at or after `since`; after a long outage, the last day of them (the
    // judge treats what is older as a gap).
    const std::int64_t first =
        std::max(ceilMinute(epochSeconds(since)), end - std::int64_t(kMaxWindowMinutes) * kMinute);
    if (m_last && m_lastSince == first && now - m_lastAsked < m_settings.refresh) {
        repeatLast(context, std::move(onDone));
        return;
    }
    auto job = std::make_shared<ReadJob>();
    job->asked = now;
    job->context = context;
    job->onDone = std::move(onDone);
    job->since = first;
    readCounts(
        job,
        std::min(first, end - static_cast<std::int64_t>(m_settings.lookback.count()) * kMinute),
        end);
}

void CloudWatchSource::repeatLast(QObject *context, ReadCallback onDone)
{
    // CloudWatch has nothing newer within a refresh: the same numbers, of the same moment.
    QMetaObject::invokeMethod(
        context, [onDone = std::move(onDone), reading = *m_last]() { onDone(reading); },
        Qt::QueuedConnection);
}

void CloudWatchSource::readCounts(std::shared_ptr<ReadJob> job, std::int64_t start,
                                  std::int64_t end)
{
    fetch(countQueries(kMinute), start, end, this,
          [this, job, start](cloudwatch::Results counts, std::string error) {
              if (!error.empty())
                  return failRead(job, std::move(error));
              // The newest minute CloudWatch has any invocation of either variant in.
              std::optional<std::int64_t> newest;
              for (const Role &role : kRoles) {
                  const auto &series = counts[join(role.prefix, "_inv")];
                  if (!series.empty())
                      newest =
                          std::max(newest.value_or(series.rbegin()->first), series.rbegin()->first);
              }
              if (!newest)
                  return failRead(
                      job,
                      sentence(join("has no Invocations of SageMaker endpoint ", m_target.endpoint,
                                    " (variants ", m_target.production, " and ", m_target.canary,
                                    ") since ", formatRfc3339(fromEpochSeconds(start)),
                                    ": the endpoint had no traffic, or a name is wrong")));
              job->counts = std::move(counts);
              job->newest = *newest;
              if (job->since) {
                  // Nothing after `since` yet: no window, which is no error.
                  if (job->newest < *job->since) {
                      finishRead(*job);
                      return;
                  }
                  const int minutes = int((job->newest - *job->since) / kMinute) + 1;
                  job->windows = {std::chrono::minutes(minutes)};
                  job->lengthsLeft = {minutes};
              }
              readLatency(job);
          });
}

void CloudWatchSource::failRead(const std::shared_ptr<ReadJob> &job, std::string error)
{
    if (!job->context)
        return;
    MetricsReading reading;
    reading.error = std::move(error);
    job->onDone(std::move(reading));
}

void CloudWatchSource::readLatency(std::shared_ptr<ReadJob> job)
{
    if (!job->context)
        return;
    if (job->lengthsLeft.empty()) {
        finishRead(*job);
        return;
    }
    // Each window's quantiles are CloudWatch's over exactly its minutes: one period that long.
    const int minutes = job->lengthsLeft.back();
    job->lengthsLeft.pop_back();
    const std::int64_t from = job->newest - (minutes - 1) * kMinute;
    fetch(latencyQueries(minutes * kMinute, join("l", std::to_string(minutes), "_")), from,
          job->newest + kMinute, this, [this, job](cloudwatch::Results results, std::string error) {
              if (!error.empty())
                  return failRead(job, std::move(error));
              job->latency.merge(results);
              readLatency(job);
          });
}

void CloudWatchSource::finishRead(ReadJob &job)
{
    MetricsReading reading;
    reading.time = fromEpochSeconds(job.newest + kMinute);
    if (job.windows.empty())
        reading.windows.emplace_back(); // readSince with nothing newer
    for (const auto window : job.windows) {
        const int minutes = minutesOf(window);
        const std::int64_t from = job.newest - (minutes - 1) * kMinute;
        KpiSnapshot snapshot;
        snapshot.from = fromEpochSeconds(from);
        snapshot.to = reading.time;
        snapshot.readings = 1;
        snapshot.kpis.time = snapshot.to;
        snapshot.kpis.elapsedSeconds = minutes * kMinute;
        const std::string l = join("l", std::to_string(minutes), "_");
        for (const Role &role : kRoles) {
            cloudwatch::Period period;
            for (std::int64_t t = from; t <= job.newest; t += kMinute) {
                period.invocations += valueAt(job.counts, join(role.prefix, "_inv"), t).value_or(0);
                period.errors4xx += valueAt(job.counts, join(role.prefix, "_e4"), t).value_or(0);
                period.errors5xx += valueAt(job.counts, join(role.prefix, "_e5"), t).value_or(0);
            }
            const auto at = [&](const char *stat) {
                return valueIn(job.latency, join(l, role.prefix, "_", stat), from,
                               job.newest + kMinute);
            };
            period.averageMicros = at("avg");
            period.p50Micros = at("p50");
            period.p95Micros = at("p95");
            period.p99Micros = at("p99");
            snapshot.kpis.variant(role.role) =
                cloudwatch::variantKpis(period, minutes * kMinute, variantName(role.role));
        }
        reading.windows.push_back(std::move(snapshot));
    }
    m_last = reading;
    m_lastWindows = job.windows;
    m_lastSince = job.since;
    m_lastAsked = job.asked;
    job.onDone(std::move(reading));
}

const std::string &CloudWatchSource::variantName(VariantRole role) const
{
    return role == VariantRole::Production ? m_target.production : m_target.canary;
}

void CloudWatchSource::readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds,
                                   std::chrono::milliseconds, QObject *context,
                                   HistoryCallback onDone)
{
    const std::int64_t start = floorMinute(epochSeconds(from));
    const std::int64_t end = floorMinute(epochSeconds(to));
    if (end <= start) {
        QMetaObject::invokeMethod(
            context, [onDone = std::move(onDone)]() { onDone({}); }, Qt::QueuedConnection);
        return;
    }
    nlohmann::json queries = countQueries(kMinute);
    for (auto &query : latencyQueries(kMinute, "h_"))
        queries.push_back(std::move(query));
    QPointer<QObject> guard = context;
    fetch(std::move(queries), start, end, this,
          [this, guard, start, end, onDone = std::move(onDone)](cloudwatch::Results results,
                                                                std::string error) {
              if (!guard)
                  return;
              MetricsHistory history;
              if (!error.empty()) {
                  history.error = std::move(error);
                  onDone(std::move(history));
                  return;
              }
              std::set<std::int64_t> minutes;
              for (const Role &role : kRoles) {
                  for (const auto &[t, v] : results[join(role.prefix, "_inv")])
                      if (t >= start && t < end)
                          minutes.insert(t);
              }
              std::optional<std::int64_t> previous;
              for (const std::int64_t t : minutes) {
                  if (previous && t - *previous > kMinute) {
                      // A minute without any datapoint: a gap, not zero traffic.
                      metrics::KpiResult gap;
                      gap.time = fromEpochSeconds(*previous + 2 * kMinute);
                      gap.error = sentence("has no datapoints for this minute");
                      history.points.push_back(std::move(gap));
                  }
                  previous = t;
                  metrics::KpiResult point;
                  point.time = fromEpochSeconds(t + kMinute);
                  point.elapsedSeconds = kMinute;
                  for (const Role &role : kRoles) {
                      cloudwatch::Period period;
                      period.invocations =
                          valueAt(results, join(role.prefix, "_inv"), t).value_or(0);
                      period.errors4xx = valueAt(results, join(role.prefix, "_e4"), t).value_or(0);
                      period.errors5xx = valueAt(results, join(role.prefix, "_e5"), t).value_or(0);
                      const auto at = [&](const char *stat) {
                          return valueAt(results, join("h_", role.prefix, "_", stat), t)
                              .value_or(std::numeric_limits<double>::quiet_NaN());
                      };
                      period.averageMicros = at("avg");
                      period.p50Micros = at("p50");
                      period.p95Micros = at("p95");
                      period.p99Micros = at("p99");
                      point.variant(role.role) =
                          cloudwatch::variantKpis(period, kMinute, variantName(role.role));
                  }
                  history.points.push_back(std::move(point));
              }
              onDone(std::move(history));
          });
}

} // namespace canary
