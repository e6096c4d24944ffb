#include "backends/scrape/metricsscraper.h"

#include <QCoreApplication>
#include <QSemaphore>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <memory>
#include <optional>
#include <string>

using namespace canary;
using namespace std::chrono_literals;

namespace {

const SystemTime kT0 = SystemTime(1'700'000'000'000ms);

HttpResponse answer(std::string body, std::string contentType = "text/plain; version=0.0.4")
{
    HttpResponse response;
    response.status = 200;
    response.headers.emplace_back("content-type", std::move(contentType));
    response.body = std::move(body);
    return response;
}

const char *const kGatewayLike =
    "# TYPE canary_requests_total counter\n"
    "canary_requests_total{variant=\"production\",version=\"1.0\"} 100\n"
    "canary_requests_created{variant=\"production\",version=\"1.0\"} 1.6e9\n"
    "# TYPE process_open_fds gauge\n"
    "process_open_fds 12\n"
    "# TYPE canary_traffic_weight gauge\n"
    "canary_traffic_weight{variant=\"production\",version=\"1.0\"} 100\n";

// Holds the only thread of a one-thread pool until released, so that nothing else can run on it.
class BlockedPool
{
public:
    BlockedPool()
    {
        m_pool.setMaxThreadCount(1);
        m_pool.start([this] {
            m_started.release();
            m_gate.acquire();
        });
        m_started.acquire();
    }
    ~BlockedPool()
    {
        release();
        m_pool.waitForDone();
    }
    void release()
    {
        if (!m_released) {
            m_released = true;
            m_gate.release();
        }
    }
    QThreadPool *pool() { return &m_pool; }

private:
    QThreadPool m_pool;
    QSemaphore m_started;
    QSemaphore m_gate;
    bool m_released = false;
};

std::size_t sampleCount(const metrics::Exposition &exposition)
{
    std::size_t n = 0;
    for (const auto &family : exposition.families)
        n += family.samples.size();
    return n;
}

} // namespace

class TestMetricsScraper final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesOffTheCallingThread();
    void destroyedContextGetsNoCall();
    void seriesBound_data();
    void seriesBound();
    void keepsOnlyKpiFamilies();
    void reportsParseErrors();
};

void TestMetricsScraper::parsesOffTheCallingThread()
{
    BlockedPool blocked;
    QObject context;
    std::optional<ScrapeResult> result;
    QThread *calledOn = nullptr;
    MetricsScraper::interpretInBackground(answer(kGatewayLike), kT0, blocked.pool(), &context,
                                          [&](ScrapeResult r) {
                                              calledOn = QThread::currentThread();
                                              result = std::move(r);
                                          });
    // The pool's only thread is held: had the answer been parsed here, on the calling thread,
    // the result would be in by now.
    QCoreApplication::processEvents();
    QVERIFY(!result);

    blocked.release();
    QTRY_VERIFY(result.has_value());
    QCOMPARE(calledOn, QThread::currentThread()); // delivered back on the context's thread
    QVERIFY2(result->ok(), result->error.c_str());
    QCOMPARE(result->scrape.time, kT0);
    QVERIFY(result->scrape.kpiSeries); // flattened on the worker too
}

void TestMetricsScraper::destroyedContextGetsNoCall()
{
    BlockedPool blocked;
    auto context = std::make_unique<QObject>();
    bool called = false;
    MetricsScraper::interpretInBackground(answer(kGatewayLike), kT0, blocked.pool(), context.get(),
                                          [&](ScrapeResult) { called = true; });
    context.reset();
    blocked.release();
    blocked.pool()->waitForDone();
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    QVERIFY(!called);
}

void TestMetricsScraper::seriesBound_data()
{
    QTest::addColumn<int>("series");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("at the bound") << int(kMaxScrapeSeries) << true;
    QTest::newRow("one more") << int(kMaxScrapeSeries + 1) << false;
}

void TestMetricsScraper::seriesBound()
{
    QFETCH(int, series);
    QFETCH(bool, accepted);
    std::string body;
    for (int i = 0; i < series; ++i)
        body += "canary_requests_total{variant=\"canary\",id=\"" + std::to_string(i) + "\"} 1\n";
    const ScrapeResult result = MetricsScraper::interpretAnswer(answer(std::move(body)), kT0);
    QCOMPARE(result.ok(), accepted);
    if (!accepted) {
        const std::string n = std::to_string(kMaxScrapeSeries);
        QCOMPARE(result.error, "the metrics answer has more than " + n +
                                   " series; the console reads at most " + n);
        QVERIFY(sampleCount(result.scrape.exposition) <= kMaxScrapeSeries);
    }
}

void TestMetricsScraper::keepsOnlyKpiFamilies()
{
    for (const bool openMetrics : {false, true}) {
        std::string body = kGatewayLike;
        std::string type = "text/plain; version=0.0.4";
        if (openMetrics) {
            body = "# TYPE canary_requests counter\n"
                   "canary_requests_total{variant=\"production\",version=\"1.0\"} 100\n"
                   "canary_requests_created{variant=\"production\",version=\"1.0\"} 1.6e9\n"
                   "# TYPE process_open_fds gauge\n"
                   "process_open_fds 12\n"
                   "# EOF\n";
            type = "application/openmetrics-text; version=1.0.0";
        }
        const ScrapeResult result = MetricsScraper::interpretAnswer(answer(body, type), kT0);
        QVERIFY2(result.ok(), result.error.c_str());
        const auto &exposition = result.scrape.exposition;
        const auto *other = exposition.family("process_open_fds");
        QVERIFY(other);
        QVERIFY(other->samples.empty());
        // The counter and its _created (its own family in 0.0.4 without a TYPE line) are kept.
        QCOMPARE(sampleCount(exposition), openMetrics ? std::size_t(2) : std::size_t(3));
    }
}

void TestMetricsScraper::reportsParseErrors()
{
    const ScrapeResult result = MetricsScraper::interpretAnswer(answer("a 1\nb{ 2\n"), kT0);
    QVERIFY(!result.ok());
    QVERIFY2(result.error.starts_with("metrics answer does not parse: line 2:"),
             result.error.c_str());
    HttpResponse notFound = answer("");
    notFound.status = 404;
    QCOMPARE(MetricsScraper::interpretAnswer(notFound, kT0).error,
             std::string("metrics endpoint answered HTTP 404"));
}

QTEST_GUILESS_MAIN(TestMetricsScraper)
#include "tst_metricsscraper.moc"
