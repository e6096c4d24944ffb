#pragma once

#include "httptransport.h"
#include "metrics/kpi.h"
#include "util/clock.h"

#include <QObject>

namespace canary {

// One attempt to scrape a /metrics endpoint.
struct ScrapeResult
{
    metrics::Scrape scrape;
    std::string error; // empty when the scrape succeeded and parsed cleanly

    bool ok() const { return error.empty(); }
};

// Fetches and parses a Prometheus text / OpenMetrics endpoint (the gateway's /metrics or any
// exporter). The grammar follows the answer's Content-Type; a parse error fails the whole scrape
// rather than feeding half a scrape into rates.
class MetricsScraper final : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(ScrapeResult)>;

    MetricsScraper(HttpTransport *transport, std::string url, const Clock &clock,
                   QObject *parent = nullptr);

    void setVerifyTls(bool verify) { m_verifyTls = verify; }
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    const std::string &url() const { return m_url; }

    void scrape(QObject *context, Callback onDone);

    // Turns one HTTP answer into a scrape; public so it can be tested without a server.
    static ScrapeResult interpretAnswer(const HttpResponse &response, SystemTime takenAt);

private:
    HttpTransport *m_transport;
    std::string m_url;
    const Clock &m_clock;
    bool m_verifyTls = true;
    std::chrono::milliseconds m_timeout{5000};
};

} // namespace canary
