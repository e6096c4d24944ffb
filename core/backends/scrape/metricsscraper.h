#pragma once

#include "backends/httptransport.h"
#include "metrics/kpi.h"
#include "util/clock.h"

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <cstddef>

namespace canary {

// The most samples ("series") one scrape may have. The console's gateway exposes a few hundred;
// beyond this a scrape is refused rather than parsed into memory and into the KPIs.
inline constexpr std::size_t kMaxScrapeSeries = 100'000;

// One attempt to scrape a /metrics endpoint.
struct ScrapeResult
{
    // Only the families the KPIs read keep their samples (metrics::isKpiFamily); the scrape's
    // KPI series are flattened already (metrics::makeScrape).
    metrics::Scrape scrape;
    std::string error; // empty when the scrape succeeded and parsed cleanly

    bool ok() const { return error.empty(); }
};

// Fetches and parses a Prometheus text / OpenMetrics endpoint (the gateway's /metrics or any
// exporter). The grammar follows the answer's Content-Type; a parse error fails the whole scrape
// rather than feeding half a scrape into rates. Answers are parsed and flattened on a worker
// thread, never on the thread that asked.
class MetricsScraper final : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(ScrapeResult)>;

    MetricsScraper(HttpTransport *transport, std::string url, const Clock &clock,
                   QObject *parent = nullptr);

    void setVerifyTls(bool verify) { m_verifyTls = verify; }
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    // Where answers are parsed; QThreadPool::globalInstance() unless set (or once it is gone).
    void setWorkerPool(QThreadPool *pool) { m_pool = pool; }
    const std::string &url() const { return m_url; }

    // onDone is called on context's thread, and not at all once context is destroyed.
    void scrape(QObject *context, Callback onDone);

    // Turns one HTTP answer into a scrape; public so it can be tested without a server.
    static ScrapeResult interpretAnswer(const HttpResponse &response, SystemTime takenAt);
    // interpretAnswer on `pool`; onDone then runs on the thread of `context` (not null; it must
    // live on the calling thread), unless context is destroyed first.
    static void interpretInBackground(HttpResponse response, SystemTime takenAt, QThreadPool *pool,
                                      QObject *context, Callback onDone);

private:
    HttpTransport *m_transport;
    std::string m_url;
    const Clock &m_clock;
    bool m_verifyTls = true;
    std::chrono::milliseconds m_timeout{5000};
    QPointer<QThreadPool> m_pool;
};

} // namespace canary
