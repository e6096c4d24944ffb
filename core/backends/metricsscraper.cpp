#include "metricsscraper.h"

#include "metrics/expositionparser.h"

namespace canary {

namespace {
constexpr std::size_t kMaxExpositionBytes = 16 * 1024 * 1024;
}

MetricsScraper::MetricsScraper(HttpTransport *transport, std::string url, const Clock &clock,
                               QObject *parent)
    : QObject(parent)
    , m_transport(transport)
    , m_url(std::move(url))
    , m_clock(clock)
{}

void MetricsScraper::scrape(QObject *context, Callback onDone)
{
    HttpRequest request;
    request.url = m_url;
    request.timeout = m_timeout;
    request.verifyTls = m_verifyTls;
    request.maxResponseBytes = kMaxExpositionBytes;
    request.headers.emplace_back("Accept", "application/openmetrics-text;version=1.0.0,"
                                           "text/plain;version=0.0.4;q=0.5");
    const SystemTime takenAt = m_clock.now();
    m_transport->send(std::move(request), context,
                      [takenAt, onDone = std::move(onDone)](HttpResponse response) {
                          onDone(interpretAnswer(response, takenAt));
                      });
}

ScrapeResult MetricsScraper::interpretAnswer(const HttpResponse &response, SystemTime takenAt)
{
    ScrapeResult result;
    result.scrape.time = takenAt;
    if (!response.answered()) {
        result.error = "metrics endpoint unreachable: " + response.transportError;
        return result;
    }
    if (response.status != 200) {
        result.error = "metrics endpoint answered HTTP " + std::to_string(response.status);
        return result;
    }
    const auto format = metrics::formatForContentType(response.header("content-type"));
    auto &exposition = result.scrape.exposition;
    exposition = metrics::parseExposition(response.body, format);
    if (!exposition.ok()) {
        const auto &first = exposition.errors.front();
        result.error = "metrics answer does not parse: line " + std::to_string(first.line) + ":" +
                       std::to_string(first.column) + ": " + first.message;
    }
    return result;
}

} // namespace canary
