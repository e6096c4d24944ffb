#include "prometheussource.h"

#include "backends/backendfactory.h"

#include <QMetaObject>
#include <QPointer>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

namespace canary {

using namespace prometheus;

namespace {

constexpr std::array<double, 3> kQuantiles = {0.5, 0.95, 0.99};
constexpr std::array<metrics::Kpi, 3> kLatencyKpis = {
    metrics::Kpi::LatencyP50, metrics::Kpi::LatencyP95, metrics::Kpi::LatencyP99};
constexpr std::size_t kMaxWarnings = 16;
// Counters are scraped together but extrapolated one by one, so a part (errors) can come out a
// hair above its whole (requests); beyond this a "ratio" query does not give a ratio.
constexpr double kRatioSlack = 0.01;

std::int64_t unixMs(SystemTime time)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// "30 s", "1.5 s": a window in the words of a reason.
std::string humanSeconds(std::chrono::milliseconds duration)
{
    if (duration.count() % 1000 == 0)
        return std::to_string(duration.count() / 1000) + " s";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g s", static_cast<double>(duration.count()) / 1000);
    return buffer;
}

std::string number(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

// The KPI a query's number becomes (the latency query: the one of its quantile).
std::optional<metrics::Kpi> kpiOf(Query query, std::size_t quantile)
{
    switch (query) {
    case Query::RequestRate:
        return metrics::Kpi::RequestRate;
    case Query::ErrorRatio:
        return metrics::Kpi::ErrorRate;
    case Query::Accuracy:
        return metrics::Kpi::Accuracy;
    case Query::Latency:
        return kLatencyKpis[quantile];
    case Query::Weight:
        return metrics::Kpi::Weight;
    default:
        return std::nullopt;
    }
}

double *fieldOf(metrics::VariantKpis &kpis, Query query, std::size_t quantile)
{
    switch (query) {
    case Query::RequestRate:
        return &kpis.requestRate;
    case Query::ErrorRatio:
        return &kpis.errorRatio;
    case Query::Latency:
        return quantile == 0 ? &kpis.p50Seconds
                             : (quantile == 1 ? &kpis.p95Seconds : &kpis.p99Seconds);
    case Query::LatencyMean:
        return &kpis.meanSeconds;
    case Query::RequestsInWindow:
        return &kpis.requestsInWindow;
    case Query::ErrorsInWindow:
        return &kpis.errorsInWindow;
    case Query::FeedbackInWindow:
        return &kpis.feedbackInWindow;
    case Query::CorrectInWindow:
        return &kpis.correctInWindow;
    case Query::Weight:
        return &kpis.weightPercent;
    default:
        return nullptr; // accuracy is an optional; the version lists are not numbers
    }
}

void setReason(metrics::VariantKpis &kpis, metrics::Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

// Why a query's number is no KPI, or "" when it is one. `value` is nullopt when Prometheus had
// no samples.
std::string valueProblem(Query query, std::optional<double> value, const std::string &variant,
                         const std::string &span)
{
    if (!value)
        return query == Query::Weight
                   ? "Prometheus has no traffic weight sample for the " + variant + " variant"
                   : "Prometheus has no samples for the " + variant + " variant " + span;
    const std::string what = "Prometheus answers " + std::string(queryName(query));
    if (std::isnan(*value)) {
        if (query == Query::ErrorRatio || query == Query::Latency || query == Query::LatencyMean)
            return "no requests " + span + " (" + what + " NaN)";
        if (query == Query::Accuracy)
            return "no labelled feedback " + span + " (" + what + " NaN)";
        return what + " NaN for the " + variant + " variant";
    }
    if (std::isinf(*value))
        return what + (*value > 0 ? " +Inf" : " -Inf") + " for the " + variant +
               " variant; a KPI is a finite number";
    if (*value < 0)
        return what + " " + number(*value) + " for the " + variant + " variant, below 0";
    if ((query == Query::ErrorRatio || query == Query::Accuracy) && *value > 1 + kRatioSlack)
        return what + " " + number(*value) + " for the " + variant +
               " variant, above 1: the query must give a ratio, not a percentage";
    if (query == Query::Weight && *value > 100)
        return what + " " + number(*value) + " for the " + variant + " variant, above 100 %";
    return {};
}

// Puts one query's number into `kpis`, or the reason it is unknown.
void applyValue(metrics::VariantKpis &kpis, Query query, std::size_t quantile,
                std::optional<double> value, const std::string &variant, const std::string &span)
{
    const auto kpi = kpiOf(query, quantile);
    if (auto problem = valueProblem(query, value, variant, span); !problem.empty()) {
        if (kpi)
            setReason(kpis, *kpi, std::move(problem));
        else if (query == Query::LatencyMean)
            kpis.meanReason = std::move(problem);
        return;
    }
    double v = *value;
    if (query == Query::ErrorRatio || query == Query::Accuracy)
        v = std::min(v, 1.0);
    if (query == Query::Accuracy)
        kpis.accuracy = v;
    else if (double *field = fieldOf(kpis, query, quantile))
        *field = v;
    if (kpi)
        setReason(kpis, *kpi, {});
    else if (query == Query::LatencyMean)
        kpis.meanReason.clear();
}

// A VariantKpis with a reason on every KPI the query file does not ask for.
metrics::VariantKpis blankKpis(const QueryTemplates &templates)
{
    metrics::VariantKpis kpis;
    for (Query query : kAllQueries) {
        if (templates.has(query))
            continue;
        if (query == Query::LatencyMean)
            kpis.meanReason = "the Prometheus query file has no latency_mean query";
        for (std::size_t q = 0; q < (query == Query::Latency ? kQuantiles.size() : 1); ++q) {
            if (const auto kpi = kpiOf(query, q))
                setReason(kpis, *kpi,
                          "the Prometheus query file has no " + std::string(queryName(query)) +
                              " query");
        }
    }
    return kpis;
}

// The window's histogram from one series per `le`: sorted by bound, made monotonic (increase()
// extrapolates each bucket on its own, so neighbours can cross by a little), and empty unless it
// is a usable histogram: a +Inf bucket, a finite one below it, bounds that parse, finite counts.
std::vector<metrics::Bucket> latencyBuckets(const std::vector<Series> &series)
{
    std::vector<metrics::Bucket> buckets;
    for (const Series &s : series) {
        const std::string *le = s.label("le");
        if (!le || s.points.empty())
            return {};
        const double count = s.points.front().value;
        char *end = nullptr;
        const double bound = std::strtod(le->c_str(), &end);
        if (le->empty() || *end != '\0' || std::isnan(bound) || !std::isfinite(count) || count < 0)
            return {};
        buckets.push_back({bound, count});
    }
    std::sort(buckets.begin(), buckets.end(),
              [](const metrics::Bucket &a, const metrics::Bucket &b) {
                  return a.upperBound < b.upperBound;
              });
    const auto sameBound = [](const metrics::Bucket &a, const metrics::Bucket &b) {
        return a.upperBound == b.upperBound;
    };
    if (buckets.size() < 2 ||
        buckets.back().upperBound != std::numeric_limits<double>::infinity() ||
        std::adjacent_find(buckets.begin(), buckets.end(), sameBound) != buckets.end())
        return {};
    for (std::size_t i = 1; i < buckets.size(); ++i)
        buckets[i].cumulativeCount =
            std::max(buckets[i].cumulativeCount, buckets[i - 1].cumulativeCount);
    return buckets;
}

void addWarnings(std::vector<std::string> &into, const std::vector<std::string> &warnings)
{
    for (const auto &warning : warnings) {
        std::string text = "Prometheus warns: " + warning;
        if (into.size() < kMaxWarnings && std::find(into.begin(), into.end(), text) == into.end())
            into.push_back(std::move(text));
    }
}

std::string roleName(VariantRole role)
{
    return std::string(toString(role));
}

} // namespace

struct PrometheusSource::Slot
{
    std::size_t window = 0; // index into Job::windows
    VariantRole role = VariantRole::Production;
    Query query = Query::RequestRate;
    std::size_t quantile = 0; // index into kQuantiles
    std::string promql;
    ApiAnswer answer;
};

struct PrometheusSource::Job
{
    bool history = false;
    SystemTime time{}; // a read: the evaluation time
    std::vector<std::chrono::milliseconds> windows;
    SystemTime from{}; // a history read
    SystemTime to{};
    std::chrono::milliseconds step{};
    std::vector<Slot> slots;
    std::size_t pending = 0;
    bool done = false;
    QPointer<QObject> context;
    ReadCallback onRead;
    HistoryCallback onHistory;
};

PrometheusSource::PrometheusSource(HttpTransport *transport, PrometheusEndpoint endpoint,
                                   QueryTemplates templates, const Clock &clock, QObject *parent)
    : MetricsSource(parent)
    , m_transport(transport)
    , m_endpoint(std::move(endpoint))
    , m_templates(std::move(templates))
    , m_clock(clock)
{}

PrometheusSource::~PrometheusSource() = default;

MetricsCapabilities PrometheusSource::capabilities() const
{
    MetricsCapabilities capabilities;
    capabilities.kind = "Prometheus";
    capabilities.history = true;
    capabilities.quantiles = m_templates.has(Query::Latency);
    capabilities.accuracy = m_templates.has(Query::Accuracy);
    std::vector<std::string> missing;
    if (!capabilities.quantiles)
        missing.emplace_back("latency");
    if (!capabilities.accuracy)
        missing.emplace_back("accuracy");
    if (!missing.empty())
        capabilities.limits =
            "The Prometheus query file gives no " +
            (missing.size() == 2 ? missing[0] + " and no " + missing[1] : missing[0]) +
            " query, so " + (missing.size() == 2 ? "they stay" : "it stays") + " unknown.";
    return capabilities;
}

std::string PrometheusSource::describe(const Job &job, const Slot &slot) const
{
    std::string text = "the " + roleName(slot.role) + " " + std::string(queryName(slot.query));
    if (slot.query == Query::Latency)
        text += " (quantile " + number(kQuantiles[slot.quantile]) + ")";
    text += " query";
    if (slot.query != Query::Weight && slot.query != Query::Versions)
        text += " over " + humanSeconds(job.windows[slot.window]);
    return text;
}

void PrometheusSource::supersede(std::shared_ptr<Job> &current, const std::shared_ptr<Job> &next)
{
    if (current && !current->done) {
        // The older read is answered (once, later, as always) and its late answers dropped, so
        // they can never mix into the newer one.
        std::shared_ptr<Job> old = current;
        old->done = true;
        if (old->context) {
            const std::string error = "Prometheus at " + m_endpoint.address +
                                      ": a newer read replaced this one before it was answered.";
            QMetaObject::invokeMethod(
                old->context.data(),
                [old, error] {
                    if (old->history)
                        old->onHistory(MetricsHistory{error, {}});
                    else
                        old->onRead(MetricsReading{error, old->time, {}});
                },
                Qt::QueuedConnection);
        }
    }
    current = next;
}

void PrometheusSource::read(std::vector<std::chrono::milliseconds> windows, QObject *context,
                            ReadCallback onDone)
{
    auto job = std::make_shared<Job>();
    job->time = m_clock.now();
    job->windows = std::move(windows);
    job->context = context;
    job->onRead = std::move(onDone);
    for (std::size_t w = 0; w < job->windows.size(); ++w)
        addSlots(*job, w, true);
    supersede(m_read, job);
    const auto shortest = std::min_element(job->windows.begin(), job->windows.end());
    if (shortest != job->windows.end() && shortest->count() <= 0)
        return finishLater(job, "Prometheus at " + m_endpoint.address +
                                    " cannot give a window of " + humanSeconds(*shortest) +
                                    "; a window is longer than 0 s.");
    start(job);
}

void PrometheusSource::readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                                   std::chrono::milliseconds window, QObject *context,
                                   HistoryCallback onDone)
{
    auto job = std::make_shared<Job>();
    job->history = true;
    job->time = to;
    job->from = from;
    job->to = to;
    job->step = step;
    job->windows = {window};
    job->context = context;
    job->onHistory = std::move(onDone);
    addSlots(*job, 0, false); // the version lists are of now only
    supersede(m_history, job);
    const std::string where = "Prometheus at " + m_endpoint.address;
    if (step.count() <= 0 || window.count() <= 0)
        return finishLater(job, where + " cannot give a history with a step or window of 0 s.");
    if (to < from)
        return finishLater(job, where + " cannot give a history that ends before it begins.");
    const auto steps = static_cast<std::size_t>((to - from) / step) + 1;
    if (steps > kMaxRangePoints)
        return finishLater(job, where + " cannot give a history of " + std::to_string(steps) +
                                    " steps: Prometheus answers at most " +
                                    std::to_string(kMaxRangePoints) +
                                    " per query, so ask for a longer step.");
    start(job);
}

void PrometheusSource::addSlots(Job &job, std::size_t window, bool withVersionLists) const
{
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (Query query : kAllQueries) {
            if (!m_templates.has(query) || (answersWithSeries(query) && !withVersionLists))
                continue;
            const std::size_t quantiles = query == Query::Latency ? kQuantiles.size() : 1;
            for (std::size_t q = 0; q < quantiles; ++q) {
                Slot slot;
                slot.window = window;
                slot.role = role;
                slot.query = query;
                slot.quantile = q;
                slot.promql = expandQuery(
                    m_templates, query, {role, m_endpoint.job, job.windows[window], kQuantiles[q]});
                job.slots.push_back(std::move(slot));
            }
        }
    }
}

void PrometheusSource::start(const std::shared_ptr<Job> &job)
{
    job->pending = job->slots.size();
    if (job->pending == 0)
        return finishLater(job, {});
    for (std::size_t i = 0; i < job->slots.size(); ++i) {
        std::vector<std::pair<std::string, std::string>> fields = {{"query", job->slots[i].promql}};
        if (job->history) {
            fields.emplace_back("start", apiTime(unixMs(job->from)));
            fields.emplace_back("end", apiTime(unixMs(job->to)));
            fields.emplace_back("step", apiTime(job->step.count()));
        } else {
            fields.emplace_back("time", apiTime(unixMs(job->time)));
        }
        HttpRequest request;
        request.method = "POST";
        request.url = m_endpoint.apiBase + (job->history ? "/api/v1/query_range" : "/api/v1/query");
        request.headers.emplace_back("Accept", "application/json");
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        if (!m_endpoint.authorization.empty())
            request.headers.emplace_back("Authorization", m_endpoint.authorization);
        request.body = formEncode(fields);
        request.timeout = m_endpoint.timeout;
        request.verifyTls = m_endpoint.verifyTls;
        request.maxResponseBytes = job->history ? kMaxRangeAnswerBytes : kMaxInstantAnswerBytes;
        m_transport->send(std::move(request), this,
                          [this, job, i](HttpResponse response) { onAnswer(job, i, response); });
    }
}

void PrometheusSource::onAnswer(const std::shared_ptr<Job> &job, std::size_t index,
                                const HttpResponse &response)
{
    if (job->done)
        return; // a failed or replaced read: its late answers are nobody's
    Slot &slot = job->slots[index];
    slot.answer = parseApiAnswer(response);
    const ApiAnswer &answer = slot.answer;
    const std::string where = "Prometheus at " + m_endpoint.address;
    const std::string query = describe(*job, slot);
    switch (answer.failure) {
    case ApiAnswer::Failure::None:
        break;
    case ApiAnswer::Failure::Transport:
        return finish(job, where + " could not be read: " + answer.detail);
    case ApiAnswer::Failure::Unauthorized:
        return finish(job, where + " refused the credentials (" + answer.detail +
                               "): check the metrics token, or the metrics user and password.");
    case ApiAnswer::Failure::Rejected:
        return finish(job, where + " refused " + query + " (" + answer.detail +
                               "); the query was: " + slot.promql);
    case ApiAnswer::Failure::BadAnswer:
        return finish(job, where + " answered " + query + " with " + answer.detail + ".");
    }
    const bool typeFits = job->history ? answer.resultType == "matrix"
                          : answersWithSeries(slot.query)
                              ? answer.resultType == "vector"
                              : answer.resultType == "vector" || answer.resultType == "scalar";
    if (!typeFits)
        return finish(job, where + " answered " + query + " with a " + answer.resultType +
                               " where " +
                               (job->history                    ? "a matrix"
                                : answersWithSeries(slot.query) ? "a vector"
                                                                : "a vector or a scalar") +
                               " was expected; the query was: " + slot.promql);
    if (!answersWithSeries(slot.query) && answer.series.size() > 1)
        return finish(job, where + " answered " + query + " with " +
                               std::to_string(answer.series.size()) +
                               " series where one was expected: aggregate them in the query "
                               "(sum, max) rather than have one picked; the query was: " +
                               slot.promql);
    if (--job->pending == 0)
        finish(job, {});
}

void PrometheusSource::finishLater(const std::shared_ptr<Job> &job, std::string error)
{
    QMetaObject::invokeMethod(
        this, [this, job, error = std::move(error)]() mutable { finish(job, std::move(error)); },
        Qt::QueuedConnection);
}

void PrometheusSource::finish(const std::shared_ptr<Job> &job, std::string error)
{
    if (job->done)
        return;
    job->done = true;
    if (m_read == job)
        m_read.reset();
    if (m_history == job)
        m_history.reset();
    if (!job->context)
        return;
    for (const std::string &secret : m_endpoint.secrets) {
        for (auto at = error.find(secret); at != std::string::npos; at = error.find(secret, at))
            error.replace(at, secret.size(), "[secret]");
    }
    if (job->history) {
        MetricsHistory history;
        history.error = std::move(error);
        if (history.ok())
            history.points = historyPoints(*job);
        job->onHistory(std::move(history));
    } else {
        MetricsReading reading;
        reading.time = job->time;
        reading.error = std::move(error);
        if (reading.ok())
            reading.windows = readingWindows(*job);
        job->onRead(std::move(reading));
    }
}

std::vector<std::optional<KpiSnapshot>> PrometheusSource::readingWindows(const Job &job) const
{
    std::vector<std::optional<KpiSnapshot>> windows;
    for (const std::chrono::milliseconds window : job.windows) {
        KpiSnapshot snapshot;
        snapshot.to = job.time;
        snapshot.from = job.time - window;
        snapshot.readings = 1;
        snapshot.kpis.time = job.time;
        snapshot.kpis.elapsedSeconds = std::chrono::duration<double>(window).count();
        snapshot.kpis.production = blankKpis(m_templates);
        snapshot.kpis.canary = blankKpis(m_templates);
        windows.emplace_back(std::move(snapshot));
    }
    for (const Slot &slot : job.slots) {
        metrics::KpiResult &kpis = windows[slot.window]->kpis;
        addWarnings(kpis.warnings, slot.answer.warnings);
        metrics::VariantKpis &variant = kpis.variant(slot.role);
        if (slot.query == Query::LatencyBuckets) {
            variant.latencyBuckets = latencyBuckets(slot.answer.series);
            continue;
        }
        if (answersWithSeries(slot.query)) {
            std::set<std::string> versions;
            for (const Series &series : slot.answer.series) {
                const std::string *version = series.label(m_templates.versionLabel);
                const double value = series.points.empty() ? 0 : series.points.front().value;
                if (version && (slot.query == Query::Versions || value > 0))
                    versions.insert(*version);
            }
            (slot.query == Query::Versions ? variant.versions : variant.activeVersions)
                .assign(versions.begin(), versions.end());
            continue;
        }
        std::optional<double> value;
        if (!slot.answer.series.empty() && !slot.answer.series.front().points.empty())
            value = slot.answer.series.front().points.front().value;
        applyValue(variant, slot.query, slot.quantile, value, roleName(slot.role),
                   "in the last " + humanSeconds(job.windows[slot.window]));
    }
    return windows;
}

std::vector<metrics::KpiResult> PrometheusSource::historyPoints(const Job &job) const
{
    const std::chrono::milliseconds window = job.windows.front();
    const std::string span = "in the " + humanSeconds(window) + " up to this step";
    std::map<std::int64_t, metrics::KpiResult> points; // by evaluation time, Unix ms
    std::vector<std::string> warnings;
    for (const Slot &slot : job.slots) {
        addWarnings(warnings, slot.answer.warnings);
        if (slot.answer.series.empty())
            continue;
        for (const Point &point : slot.answer.series.front().points) {
            const auto ms = static_cast<std::int64_t>(std::llround(point.time * 1000));
            auto [it, inserted] = points.try_emplace(ms);
            metrics::KpiResult &result = it->second;
            if (inserted) {
                result.time = SystemTime(std::chrono::milliseconds(ms));
                result.elapsedSeconds = std::chrono::duration<double>(window).count();
                result.production = blankKpis(m_templates);
                result.canary = blankKpis(m_templates);
            }
            applyValue(result.variant(slot.role), slot.query, slot.quantile, point.value,
                       roleName(slot.role), span);
        }
    }
    std::vector<metrics::KpiResult> out;
    out.reserve(points.size());
    for (auto &[ms, result] : points) {
        for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            metrics::VariantKpis &kpis = result.variant(role);
            const std::string none =
                "Prometheus has no samples for the " + roleName(role) + " variant " + span;
            for (metrics::Kpi kpi : metrics::kAllKpis) {
                if (!kpis.known(kpi) && kpis.reason(kpi).empty())
                    setReason(kpis, kpi, none);
            }
            if (std::isnan(kpis.meanSeconds) && kpis.meanReason.empty())
                kpis.meanReason = none;
        }
        result.warnings = warnings;
        out.push_back(std::move(result));
    }
    return out;
}

namespace {

std::unique_ptr<MetricsSource> refuse(std::string *error, std::string sentence)
{
    if (error)
        *error = std::move(sentence);
    return nullptr;
}

} // namespace

std::unique_ptr<MetricsSource> makePrometheusSource(const QUrl &url, const BackendContext &context,
                                                    std::string *error)
{
    // Named without user info or query, which could hold a secret.
    const std::string shown =
        url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment)
            .toStdString();
    const std::string theUrl = "The metrics URL " + shown;
    const QString scheme = url.scheme().toLower();
    if (!url.isValid())
        return refuse(error, theUrl + " is not a valid URL.");
    if (scheme != QLatin1String("prometheus+http") && scheme != QLatin1String("prometheus+https"))
        return refuse(error, theUrl +
                                 " is not a Prometheus URL: it must begin with prometheus+http:// "
                                 "or prometheus+https://.");
    if (url.host().isEmpty())
        return refuse(error, theUrl + " has no host: write prometheus+http://HOST:PORT.");
    if (!url.userInfo().isEmpty())
        return refuse(error, theUrl +
                                 " has user information in it; give Prometheus credentials as "
                                 "the metrics token or the metrics user and password instead, so "
                                 "that they are never shown.");
    if (url.hasFragment())
        return refuse(error, theUrl + " has a #fragment, which a Prometheus URL has no use for.");

    PrometheusEndpoint endpoint;
    const QUrlQuery query(url);
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (name != QLatin1String("job"))
            return refuse(error, theUrl + " has the unknown parameter \"" + name.toStdString() +
                                     "\"; a Prometheus URL knows only ?job=JOB.");
        if (value.isEmpty() || !endpoint.job.empty())
            return refuse(error, theUrl + " must give ?job= once, with a job name.");
        endpoint.job = value.toStdString();
    }
    const bool tls = scheme == QLatin1String("prometheus+https");
    std::string path = url.path(QUrl::FullyEncoded).toStdString();
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    // User info was refused above; the host is bracketed again if it is an IPv6 address.
    std::string hostPort = url.host(QUrl::FullyEncoded).toStdString();
    if (hostPort.find(':') != std::string::npos)
        hostPort = "[" + hostPort + "]";
    if (url.port() != -1)
        hostPort += ":" + std::to_string(url.port());
    endpoint.apiBase = std::string(tls ? "https://" : "http://") + hostPort + path;
    endpoint.address = std::string(tls ? "prometheus+https://" : "prometheus+http://") + hostPort +
                       url.path().toStdString();
    while (endpoint.address.back() == '/') // never empty: it begins with the scheme
        endpoint.address.pop_back();
    if (!endpoint.job.empty())
        endpoint.address += "?job=" + endpoint.job;

    const BackendOptions &options = context.options;
    if (!options.metricsToken.empty() && !options.metricsUser.empty())
        return refuse(error, "Prometheus at " + endpoint.address +
                                 " was given both a metrics token and a metrics user; give one "
                                 "of them.");
    if (!options.metricsPassword.empty() && options.metricsUser.empty())
        return refuse(error, "Prometheus at " + endpoint.address +
                                 " was given a metrics password without a metrics user.");
    if (!options.metricsToken.empty()) {
        endpoint.authorization = "Bearer " + options.metricsToken;
        endpoint.secrets = {options.metricsToken};
    } else if (!options.metricsUser.empty()) {
        const std::string encoded =
            QByteArray::fromStdString(options.metricsUser + ":" + options.metricsPassword)
                .toBase64()
                .toStdString();
        endpoint.authorization = "Basic " + encoded;
        endpoint.secrets = {encoded};
        if (!options.metricsPassword.empty())
            endpoint.secrets.push_back(options.metricsPassword);
    }
    endpoint.verifyTls = options.verifyTls;
    endpoint.timeout = options.timeout;

    QueryTemplates templates = QueryTemplates::defaults();
    if (!options.queryFile.empty()) {
        std::string problem;
        auto loaded = loadQueryTemplates(options.queryFile, &problem);
        if (!loaded)
            return refuse(error, problem);
        templates = std::move(*loaded);
    }
    return std::make_unique<PrometheusSource>(context.transport, std::move(endpoint),
                                              std::move(templates), context.clock);
}

} // namespace canary
