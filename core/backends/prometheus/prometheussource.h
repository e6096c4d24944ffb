#pragma once

#include "backends/httptransport.h"
#include "backends/metricssource.h"
#include "backends/prometheus/prometheusapi.h"
#include "backends/prometheus/querytemplates.h"
#include "util/clock.h"

#include <QUrl>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canary {

struct BackendContext;

// Where a Prometheus server is and how to talk to it.
struct PrometheusEndpoint
{
    std::string apiBase;       // http(s)://HOST:PORT[/prefix], no trailing slash
    std::string address;       // the URL as shown: prometheus+http://HOST:PORT[/prefix][?job=JOB]
    std::string job;           // the ?job= of the URL; empty: all jobs
    std::string authorization; // an Authorization header value; empty: none. Never shown.
    // The token, password and encoded credentials: cut out of every error, in case a server
    // echoes them in the page it answers with.
    std::vector<std::string> secrets;
    bool verifyTls = true;
    std::chrono::milliseconds timeout{5000};
};

// Both variants' KPIs from a Prometheus server that scrapes the gateway (or any service): each KPI
// is one PromQL query per variant and window (prometheus::QueryTemplates, docs/prometheus.md),
// asked through the HTTP API all at once and evaluated at one moment, the clock's now. Prometheus
// computes each window itself, so a snapshot rests on one reading.
//
// A query Prometheus refuses, an answer that is not the API's, several series where a query must
// give one, and every HTTP failure fail the whole reading with a sentence naming "Prometheus at
// ADDRESS" and the query. No samples, NaN or an infinity leave that KPI unknown with a reason.
class PrometheusSource final : public MetricsSource
{
    Q_OBJECT

public:
    PrometheusSource(HttpTransport *transport, PrometheusEndpoint endpoint,
                     prometheus::QueryTemplates templates, const Clock &clock,
                     QObject *parent = nullptr);
    ~PrometheusSource() override;

    MetricsCapabilities capabilities() const override;
    std::string address() const override { return m_endpoint.address; }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override;
    void readHistory(SystemTime from, SystemTime to, std::chrono::milliseconds step,
                     std::chrono::milliseconds window, QObject *context,
                     HistoryCallback onDone) override;

    const prometheus::QueryTemplates &templates() const { return m_templates; }

private:
    struct Job;
    struct Slot;

    // One query per variant, KPI (latency: per quantile) and window into `job`.
    void addSlots(Job &job, std::size_t window, bool withVersionLists) const;
    void start(const std::shared_ptr<Job> &job);
    void onAnswer(const std::shared_ptr<Job> &job, std::size_t slot, const HttpResponse &response);
    void finish(const std::shared_ptr<Job> &job, std::string error);
    // finish() from the event loop: a callback never runs inside the call that asked.
    void finishLater(const std::shared_ptr<Job> &job, std::string error);
    std::vector<std::optional<KpiSnapshot>> readingWindows(const Job &job) const;
    std::vector<metrics::KpiResult> historyPoints(const Job &job) const;
    void supersede(std::shared_ptr<Job> &current, const std::shared_ptr<Job> &next);
    std::string describe(const Job &job, const Slot &slot) const;

    HttpTransport *m_transport;
    PrometheusEndpoint m_endpoint;
    prometheus::QueryTemplates m_templates;
    const Clock &m_clock;
    std::shared_ptr<Job> m_read;    // the read in flight, if any
    std::shared_ptr<Job> m_history; // the history read in flight, if any
};

// A Prometheus source for prometheus+http://HOST:PORT[/path-prefix][?job=JOB] (or
// prometheus+https://), with the options' metrics token (Bearer) or metrics user and password
// (basic), TLS verification, timeout and query file. On a bad URL, options or query file returns
// nullptr and sets `error` to a sentence naming the URL (never a secret) and the problem.
std::unique_ptr<MetricsSource> makePrometheusSource(const QUrl &url, const BackendContext &context,
                                                    std::string *error);

} // namespace canary
