#include "metricsscraper.h"

#include "metrics/expositionparser.h"

#include <QFutureWatcher>
#include <QPromise>

#include <memory>

namespace canary {

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
    request.maxResponseBytes = metrics::kMaxExpositionBytes;
    request.headers.emplace_back("Accept", "application/openmetrics-text;version=1.0.0,"
                                           "text/plain;version=0.0.4;q=0.5");
    const SystemTime takenAt = m_clock.now();
    // The transport calls back on context's thread and only while context lives; a pool set with
    // setWorkerPool may be gone by then, so it is looked up when the answer is there.
    QPointer<QThreadPool> chosen = m_pool;
    const bool ownPool = !m_pool.isNull();
    m_transport->send(
        std::move(request), context,
        [takenAt, chosen, ownPool, context, onDone = std::move(onDone)](HttpResponse response) {
            QThreadPool *pool = chosen ? chosen.data() : nullptr;
            if (!pool && !ownPool)
                pool = QThreadPool::globalInstance();
            if (!pool) {
                onDone(interpretAnswer(response, takenAt));
                return;
            }
            interpretInBackground(std::move(response), takenAt, pool, context, onDone);
        });
}

void MetricsScraper::interpretInBackground(HttpResponse response, SystemTime takenAt,
                                           QThreadPool *pool, QObject *context, Callback onDone)
{
    auto promise = std::make_shared<QPromise<ScrapeResult>>();
    // The watcher lives and dies with context: once context is gone nothing is delivered.
    auto *watcher = new QFutureWatcher<ScrapeResult>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, onDone = std::move(onDone)] {
                         watcher->deleteLater();
                         if (watcher->future().resultCount() == 0)
                             return; // cancelled with the pool: nothing to deliver
                         onDone(watcher->future().takeResult());
                     });
    watcher->setFuture(promise->future());
    promise->start();
    pool->start([promise, response = std::move(response), takenAt] {
        promise->addResult(interpretAnswer(response, takenAt));
        promise->finish();
    });
}

ScrapeResult MetricsScraper::interpretAnswer(const HttpResponse &response, SystemTime takenAt)
{
    ScrapeResult result;
    result.scrape.time = takenAt;
    if (!response.answered()) {
        // The transport's sentence says what happened (not sent, no answer, too large).
        const char *what = response.outcome == HttpResponse::Outcome::NotSent
                               ? "metrics endpoint unreachable: "
                               : "metrics endpoint gave no usable answer: ";
        result.error = what + response.transportError;
        return result;
    }
    if (response.status != 200) {
        result.error = "metrics endpoint answered HTTP " + std::to_string(response.status);
        return result;
    }
    const auto format = metrics::formatForContentType(response.header("content-type"));
    metrics::ParseOptions options;
    options.maxSamples = kMaxScrapeSeries;
    options.keepSamplesOf = metrics::isKpiFamily;
    result.scrape =
        metrics::makeScrape(takenAt, metrics::parseExposition(response.body, format, options));
    const auto &exposition = result.scrape.exposition;
    if (exposition.tooManySamples) {
        result.error = "the metrics answer has more than " + std::to_string(kMaxScrapeSeries) +
                       " series; the console reads at most " + std::to_string(kMaxScrapeSeries);
    } else if (!exposition.ok()) {
        const auto &first = exposition.errors.front();
        result.error = "metrics answer does not parse: line " + std::to_string(first.line) + ":" +
                       std::to_string(first.column) + ": " + first.message;
    }
    return result;
}

} // namespace canary
