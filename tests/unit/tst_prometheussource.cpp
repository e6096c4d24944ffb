// The Prometheus metrics source against a scripted loopback server: every shape of answer the
// HTTP API can give (and some it should not), the query templates and their placeholders, the
// requests sent, and secrets kept out of everything shown.
#include "backends/backendfactory.h"
#include "backends/prometheus/prometheussource.h"
#include "scriptedbackend.h"

#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <cmath>
#include <optional>

using namespace canary;
using namespace canary::prometheus;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(canary::metrics::Kpi)

namespace {

const SystemTime kNow = SystemTime(1'700'000'000'000ms);

QString queryOf(const ScriptedRequest &request)
{
    return QUrlQuery(QString::fromUtf8(request.body))
        .queryItemValue(QStringLiteral("query"), QUrl::FullyDecoded);
}

// A vector of one sample, or of one sample per version for the version queries.
// The latency buckets of one window, out of order and crossing a little (0.25 below 0.1), as
// increase() can give them.
const QByteArray kBucketAnswer = R"({"status":"success","data":{"resultType":"vector","result":[)"
                                 R"({"metric":{"le":"0.1"},"value":[1700000000,"200.4"]},)"
                                 R"({"metric":{"le":"+Inf"},"value":[1700000000,"300"]},)"
                                 R"({"metric":{"le":"0.05"},"value":[1700000000,"150"]},)"
                                 R"({"metric":{"le":"0.25"},"value":[1700000000,"199"]}]}})";

QByteArray goodAnswer(const QString &query, const QByteArray &value = "0.5")
{
    if (query.startsWith(QLatin1String("sum by (le)")))
        return kBucketAnswer;
    if (query.contains(QLatin1String("by (version)")))
        return R"({"status":"success","data":{"resultType":"vector","result":[)"
               R"({"metric":{"version":"1.0"},"value":[1700000000,"1"]},)"
               R"({"metric":{"version":"1.1"},"value":[1700000000,"1"]}]}})";
    return R"({"status":"success","data":{"resultType":"vector","result":[)"
           R"({"metric":{},"value":[1700000000,")" +
           value + R"("]}]}})";
}

struct Harness
{
    explicit Harness(BackendOptions options = {}, QString url = {})
        : m_options(std::move(options))
    {
        m_options.timeout = 2000ms;
        const QUrl where(url.isEmpty()
                             ? QStringLiteral("prometheus+http://127.0.0.1:%1").arg(backend.port())
                             : url.arg(backend.port()));
        const BackendContext backendContext{m_options, &transport, clock};
        source = makePrometheusSource(where, backendContext, &error);
    }

    std::optional<MetricsReading> read(std::vector<std::chrono::milliseconds> windows = {30s})
    {
        std::optional<MetricsReading> result;
        source->read(std::move(windows), &context,
                     [&result](MetricsReading reading) { result = std::move(reading); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10'000))
            return std::nullopt;
        return result;
    }

    BackendOptions m_options;
    ScriptedBackend backend;
    HttpTransport transport;
    ManualClock clock{kNow};
    QObject context;
    std::string error;
    std::unique_ptr<MetricsSource> source;
};

const metrics::VariantKpis &canaryOf(const MetricsReading &reading, std::size_t window = 0)
{
    return reading.windows.at(window)->kpis.canary;
}

} // namespace

class TestPrometheusSource final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsEveryKpiForEachWindow();
    void answers_data();
    void answers();
    void sendsOneEvaluationTimeAndTheJob();
    void authorization_data();
    void authorization();
    void secretsNeverShown();
    void badUrls_data();
    void badUrls();
    void placeholders_data();
    void placeholders();
    void templateErrors_data();
    void templateErrors();
    void queryFileLeavesKpisOut();
    void shippedExampleLoads();
    void olderReadNeverMixedIn();
    void goneContextGetsNoCall();
    void historyAlignsStepsAndKeepsGaps();
    void historyRefusesTooManySteps();
    void meanLatencyUnknownWithAReason_data();
    void meanLatencyUnknownWithAReason();
    void latencyBucketsNeedAUsableHistogram_data();
    void latencyBucketsNeedAUsableHistogram();
};

void TestPrometheusSource::readsEveryKpiForEachWindow()
{
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle("/api/v1/query", [](const ScriptedRequest &request) {
        const QString query = queryOf(request);
        // Each KPI its own number, so a mix-up of queries shows.
        QByteArray value = "0.25";
        if (query.startsWith(QLatin1String("sum(rate(canary_requests_total")))
            value = query.contains(QLatin1String("[60s]")) ? "12" : "10";
        else if (query.contains(QLatin1String("histogram_quantile(0.95")))
            value = "0.095";
        else if (query.contains(QLatin1String("histogram_quantile(0.99")))
            value = "0.099";
        else if (query.contains(QLatin1String("histogram_quantile(0.5")))
            value = "0.05";
        else if (query.startsWith(QLatin1String("sum(canary_traffic_weight")))
            value = query.contains(QLatin1String("\"canary\"")) ? "10" : "90";
        else if (query.startsWith(
                     QLatin1String("sum(increase(canary_request_duration_seconds_sum")))
            value = "0.042";
        else if (query.startsWith(QLatin1String("sum(increase(canary_requests_total")))
            value = "300";
        return ScriptedReply::json(200, goodAnswer(query, value));
    });
    const auto reading = h.read({30s, 60s});
    QVERIFY(reading);
    QVERIFY2(reading->ok(), reading->error.c_str());
    QCOMPARE(reading->time, kNow);
    QCOMPARE(reading->windows.size(), std::size_t(2));
    for (std::size_t w = 0; w < 2; ++w) {
        const KpiSnapshot &snapshot = *reading->windows[w];
        QVERIFY(snapshot.valid());
        QCOMPARE(snapshot.to, kNow);
        QCOMPARE(snapshot.from, kNow - (w == 0 ? 30s : 60s));
        QCOMPARE(snapshot.readings, std::size_t(1));
        QCOMPARE(snapshot.kpis.elapsedSeconds, w == 0 ? 30.0 : 60.0);
        for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            const auto &v = snapshot.kpis.variant(role);
            QCOMPARE(v.requestRate, w == 0 ? 10.0 : 12.0);
            QCOMPARE(v.errorRatio, 0.25);
            QCOMPARE(v.accuracy.value_or(-1), 0.25);
            QCOMPARE(v.p50Seconds, 0.05);
            QCOMPARE(v.p95Seconds, 0.095);
            QCOMPARE(v.p99Seconds, 0.099);
            QCOMPARE(v.meanSeconds, 0.042);
            QVERIFY2(v.meanReason.empty(), v.meanReason.c_str());
            QCOMPARE(v.requestsInWindow, 300.0);
            QCOMPARE(v.errorsInWindow, 0.25);
            QCOMPARE(v.feedbackInWindow, 0.25);
            QCOMPARE(v.correctInWindow, 0.25);
            QCOMPARE(v.weightPercent, role == VariantRole::Canary ? 10.0 : 90.0);
            QCOMPARE(v.versions, (std::vector<std::string>{"1.0", "1.1"}));
            QCOMPARE(v.activeVersions, (std::vector<std::string>{"1.0", "1.1"}));
            // Sorted by bound and made monotonic: 0.25 holds at least what 0.1 holds.
            QCOMPARE(v.latencyBuckets.size(), std::size_t(4));
            QCOMPARE(v.latencyBuckets[0].upperBound, 0.05);
            QCOMPARE(v.latencyBuckets[2].upperBound, 0.25);
            QCOMPARE(v.latencyBuckets[2].cumulativeCount, 200.4);
            QCOMPARE(v.latencyBuckets[3].cumulativeCount, 300.0);
            for (metrics::Kpi kpi : metrics::kAllKpis)
                QVERIFY2(v.reason(kpi).empty(), v.reason(kpi).c_str());
        }
    }
    // 13 templates, latency three times: 15 queries per variant and window, all sent at once.
    QCOMPARE(h.backend.requests("/api/v1/query"), 2 * 2 * 15);
    const auto caps = h.source->capabilities();
    QCOMPARE(caps.kind, std::string("Prometheus"));
    QVERIFY(caps.history && caps.quantiles && caps.accuracy);
    QVERIFY(caps.limits.empty());
}

void TestPrometheusSource::answers_data()
{
    QTest::addColumn<QString>("target"); // the canary query that answers `status`/`body`
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");  // "" means silence
    QTest::addColumn<QString>("error");    // a part of the reading's error; "" for none
    QTest::addColumn<metrics::Kpi>("kpi"); // with no error: the canary KPI left unknown
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("warning");

    using K = metrics::Kpi;
    const QString p95 = QStringLiteral("histogram_quantile(0.95");
    const QString rate = QStringLiteral("sum(rate(canary_requests_total");
    const QString ratio = QStringLiteral("canary_request_errors_total");
    QTest::newRow("error envelope names the query")
        << p95 << 400
        << QByteArray(R"({"status":"error","errorType":"bad_data","error":"1:5: parse error"})")
        << "refused the canary latency (quantile 0.95) query over 30 s (bad_data: 1:5: parse "
           "error); the query was: histogram_quantile(0.95"
        << K::RequestRate << QString() << QString();
    QTest::newRow("503 unavailable") << rate << 503
                                     << QByteArray(R"({"status":"error","errorType":"unavailable",)"
                                                   R"("error":"too many queries"})")
                                     << "refused the canary request_rate query over 30 s "
                                        "(unavailable: too many queries)"
                                     << K::RequestRate << QString() << QString();
    QTest::newRow("401 from a proxy")
        << rate << 401 << QByteArray("Unauthorized")
        << "refused the credentials (HTTP 401): check the metrics token" << K::RequestRate
        << QString() << QString();
    QTest::newRow("500 html") << rate << 500 << QByteArray("<html>oops</html>")
                              << "answered the canary request_rate query over 30 s with HTTP 500 "
                                 "and no Prometheus API answer (\"<html>oops</html>\")."
                              << K::RequestRate << QString() << QString();
    QTest::newRow("malformed JSON")
        << rate << 200 << QByteArray(R"({"status":"succ)") << "with an answer that is not JSON"
        << K::RequestRate << QString() << QString();
    QTest::newRow("JSON but not the API")
        << rate << 200 << QByteArray(R"({"data":[]})") << "(it has no \"status\")" << K::RequestRate
        << QString() << QString();
    QTest::newRow("value not a number")
        << rate << 200
        << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[)"
                      R"({"metric":{},"value":[1,"ten"]}]}})")
        << "the sample value \"ten\", which is not a number" << K::RequestRate << QString()
        << QString();
    QTest::newRow("wrong resultType")
        << rate << 200
        << QByteArray(R"({"status":"success","data":{"resultType":"matrix","result":[]}})")
        << "answered the canary request_rate query over 30 s with a matrix where a vector or a "
           "scalar was expected"
        << K::RequestRate << QString() << QString();
    QTest::newRow("several series are not picked from")
        << p95 << 200
        << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[)"
                      R"({"metric":{"version":"1"},"value":[1,"0.1"]},)"
                      R"({"metric":{"version":"2"},"value":[1,"0.2"]}]}})")
        << "answered the canary latency (quantile 0.95) query over 30 s with 2 series where one "
           "was expected"
        << K::RequestRate << QString() << QString();
    QTest::newRow("silence times out")
        << rate << 200 << QByteArray() << "could not be read: The request was sent, but "
        << K::RequestRate << QString() << QString();

    QTest::newRow("NaN ratio: no requests")
        << ratio << 200 << goodAnswer(QString(), "NaN") << QString() << K::ErrorRate
        << "no requests in the last 30 s (Prometheus answers error_ratio NaN)" << QString();
    QTest::newRow("+Inf latency")
        << QStringLiteral("histogram_quantile(0.99") << 200 << goodAnswer(QString(), "+Inf")
        << QString() << K::LatencyP99
        << "Prometheus answers latency +Inf for the canary variant; a KPI is a finite number"
        << QString();
    QTest::newRow("-Inf rate") << rate << 200 << goodAnswer(QString(), "-Inf") << QString()
                               << K::RequestRate << "Prometheus answers request_rate -Inf"
                               << QString();
    QTest::newRow("a percentage is no ratio")
        << ratio << 200 << goodAnswer(QString(), "12.5") << QString() << K::ErrorRate
        << "above 1: the query must give a ratio" << QString();
    QTest::newRow("weight above 100")
        << QStringLiteral("sum(canary_traffic_weight") << 200 << goodAnswer(QString(), "250")
        << QString() << K::Weight << "above 100 %" << QString();
    QTest::newRow("canary missing: empty result")
        << rate << 200
        << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[]}})")
        << QString() << K::RequestRate
        << "Prometheus has no samples for the canary variant in the last 30 s" << QString();
    QTest::newRow("scalar answer")
        << rate << 200
        << QByteArray(R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})")
        << QString() << K::RequestRate << "Prometheus answers request_rate NaN" << QString();
    QTest::newRow("warnings are passed on")
        << rate << 200
        << QByteArray(R"({"status":"success","warnings":["query hit the sample limit"],)"
                      R"("data":{"resultType":"vector","result":[]}})")
        << QString() << K::RequestRate << "no samples"
        << "Prometheus warns: query hit the "
           "sample limit";
}

void TestPrometheusSource::answers()
{
    QFETCH(QString, target);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QFETCH(metrics::Kpi, kpi);
    QFETCH(QString, reason);
    QFETCH(QString, warning);

    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle(
        "/api/v1/query", [&](const ScriptedRequest &request) -> std::optional<ScriptedReply> {
            const QString query = queryOf(request);
            if (!query.contains(QLatin1String("variant=\"canary\"")) || !query.contains(target))
                return ScriptedReply::json(200, goodAnswer(query));
            if (body.isEmpty())
                return std::nullopt;
            return ScriptedReply::json(status, body);
        });
    const auto reading = h.read();
    QVERIFY(reading);
    const std::string where = "Prometheus at " + h.source->address() + " ";
    if (!error.isEmpty()) {
        QVERIFY2(!reading->ok(), "the reading should have failed");
        QVERIFY2(reading->error.starts_with(where), reading->error.c_str());
        QVERIFY2(reading->error.find(error.toStdString()) != std::string::npos,
                 reading->error.c_str());
        QVERIFY(reading->windows.empty());
        return;
    }
    QVERIFY2(reading->ok(), reading->error.c_str());
    const auto &canary = canaryOf(*reading);
    const auto &production = reading->windows[0]->kpis.production;
    QVERIFY(!canary.known(kpi));
    QVERIFY2(canary.reason(kpi).find(reason.toStdString()) != std::string::npos,
             canary.reason(kpi).c_str());
    QVERIFY(production.known(kpi)); // the other variant is untouched
    QVERIFY(production.reason(kpi).empty());
    const auto &warnings = reading->windows[0]->kpis.warnings;
    if (warning.isEmpty()) {
        QVERIFY(warnings.empty());
    } else {
        QCOMPARE(warnings.size(), std::size_t(1));
        QCOMPARE(warnings.front(), warning.toStdString());
    }
}

void TestPrometheusSource::sendsOneEvaluationTimeAndTheJob()
{
    Harness h({}, QStringLiteral("prometheus+http://127.0.0.1:%1/prom/?job=canary-gw"));
    QVERIFY2(h.source, h.error.c_str());
    QCOMPARE(h.source->address(), "prometheus+http://127.0.0.1:" +
                                      std::to_string(h.backend.port()) + "/prom?job=canary-gw");
    h.backend.handle("/prom/api/v1/query", [](const ScriptedRequest &request) {
        return ScriptedReply::json(200, goodAnswer(queryOf(request)));
    });
    h.clock.set(kNow + 250ms);
    const auto reading = h.read({30s});
    QVERIFY(reading && reading->ok());
    QCOMPARE(reading->time, kNow + 250ms);
    QVERIFY(!h.backend.log().empty());
    for (const ScriptedRequest &request : h.backend.log()) {
        QCOMPARE(request.method, QByteArray("POST"));
        QCOMPARE(request.header("content-type"), QByteArray("application/x-www-form-urlencoded"));
        const QUrlQuery form(QString::fromUtf8(request.body));
        QCOMPARE(form.queryItemValue(QStringLiteral("time")), QStringLiteral("1700000000.250"));
        QVERIFY2(queryOf(request).contains(QLatin1String(",job=\"canary-gw\"")),
                 qPrintable(queryOf(request)));
        QVERIFY(request.header("authorization").isEmpty());
    }
}

void TestPrometheusSource::authorization_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("bearer") << "tok-123" << QString() << QString() << QByteArray("Bearer tok-123");
    QTest::newRow("basic") << QString() << "ops"
                           << "pa:ss"
                           << "Basic " + QByteArray("ops:pa:ss").toBase64();
}

void TestPrometheusSource::authorization()
{
    QFETCH(QString, token);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QByteArray, header);
    BackendOptions options;
    options.metricsToken = token.toStdString();
    options.metricsUser = user.toStdString();
    options.metricsPassword = password.toStdString();
    Harness h(options);
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle("/api/v1/query", [](const ScriptedRequest &request) {
        return ScriptedReply::json(200, goodAnswer(queryOf(request)));
    });
    const auto reading = h.read();
    QVERIFY(reading && reading->ok());
    for (const ScriptedRequest &request : h.backend.log())
        QCOMPARE(request.header("authorization"), header);
}

void TestPrometheusSource::secretsNeverShown()
{
    const std::string token = "s3cr3t-t0ken";
    const std::string password = "hunter2-pw";
    for (bool basic : {false, true}) {
        BackendOptions options;
        if (basic) {
            options.metricsUser = "ops";
            options.metricsPassword = password;
        } else {
            options.metricsToken = token;
        }
        Harness h(options);
        QVERIFY2(h.source, h.error.c_str());
        // A server that echoes what it was sent in its error page.
        const QByteArray secret = QByteArray::fromStdString(basic ? password : token);
        h.backend.handle("/api/v1/query", [secret](const ScriptedRequest &request) {
            return ScriptedReply::text(
                500, "text/plain", "bad request " + request.header("authorization") + " " + secret);
        });
        const auto reading = h.read();
        QVERIFY(reading && !reading->ok());
        const std::string echoed =
            std::string("(\"bad request ") + (basic ? "Basic" : "Bearer") + " [secret] [secret]\")";
        QVERIFY2(reading->error.find(echoed) != std::string::npos, reading->error.c_str());
        for (const std::string &text : {reading->error, h.source->address()}) {
            QVERIFY2(text.find(token) == std::string::npos, text.c_str());
            QVERIFY2(text.find(password) == std::string::npos, text.c_str());
            QVERIFY2(text.find("b3Bz") == std::string::npos, text.c_str()); // base64 of "ops"
        }
    }
    // Credentials written into the URL are refused without being repeated.
    Harness inUrl({}, QStringLiteral("prometheus+http://ops:hunter2-pw@127.0.0.1:%1"));
    QVERIFY(!inUrl.source);
    QVERIFY2(inUrl.error.find(password) == std::string::npos, inUrl.error.c_str());
    QVERIFY2(inUrl.error.find("has user information in it") != std::string::npos,
             inUrl.error.c_str());
}

void TestPrometheusSource::badUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("error");
    QTest::newRow("scheme") << "http://127.0.0.1:%1"
                            << "The metrics URL http://127.0.0.1:PORT is not a Prometheus URL: "
                               "it must begin with prometheus+http:// or prometheus+https://.";
    QTest::newRow("unknown parameter")
        << "prometheus+http://127.0.0.1:%1?token=abc"
        << "The metrics URL prometheus+http://127.0.0.1:PORT has the unknown parameter \"token\"; "
           "a Prometheus URL knows only ?job=JOB.";
    QTest::newRow("empty job") << "prometheus+http://127.0.0.1:%1?job="
                               << "The metrics URL prometheus+http://127.0.0.1:PORT must give "
                                  "?job= once, with a job name.";
    QTest::newRow("no host") << "prometheus+http:///x%1"
                             << "has no host: write prometheus+http://HOST:";
    QTest::newRow("fragment") << "prometheus+https://127.0.0.1:%1#x"
                              << "has a #fragment, which a Prometheus URL has no use for.";
}

void TestPrometheusSource::badUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, error);
    Harness h({}, url);
    QVERIFY(!h.source);
    const std::string expected =
        error.replace(QLatin1String("PORT"), QString::number(h.backend.port())).toStdString();
    QVERIFY2(h.error.find(expected) != std::string::npos, h.error.c_str());
}

void TestPrometheusSource::placeholders_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("job");
    QTest::addColumn<int>("windowMs");
    QTest::addColumn<QString>("expanded");
    QTest::newRow("selector in braces")
        << "up{{{selector}}}" << QString() << 30000 << "up{variant=\"canary\"}";
    QTest::newRow("selector with job") << "up{{{selector}}}"
                                       << "api" << 30000 << "up{variant=\"canary\",job=\"api\"}";
    QTest::newRow("every placeholder")
        << "x{{{variant_label}}={{variant}},job={{job}}}[{{window}}] {{quantile}}"
        << "a\"b" << 1500 << "x{variant=\"canary\",job=\"a\\\"b\"}[1500ms] 0.95";
    QTest::newRow("whole minutes stay seconds")
        << "r[{{window}}]" << QString() << 120000 << "r[120s]";
    QTest::newRow("single braces are PromQL")
        << "{a=\"{b}\"}" << QString() << 1000 << "{a=\"{b}\"}";
}

void TestPrometheusSource::placeholders()
{
    QFETCH(QString, text);
    QFETCH(QString, job);
    QFETCH(int, windowMs);
    QFETCH(QString, expanded);
    QueryTemplates templates;
    templates.queries[static_cast<std::size_t>(Query::Latency)] = text.toStdString();
    const Expansion expansion{VariantRole::Canary, job.toStdString(),
                              std::chrono::milliseconds(windowMs), 0.95};
    QCOMPARE(QString::fromStdString(expandQuery(templates, Query::Latency, expansion)), expanded);
}

void TestPrometheusSource::templateErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    const QByteArray base = R"("request_rate":"a","error_ratio":"b")";
    QTest::newRow("not JSON") << QByteArray("{") << "it is not valid JSON: ";
    QTest::newRow("unknown field")
        << QByteArray(R"({"lables":"x"})") << "it has the unknown field \"lables\"";
    QTest::newRow("unknown query") << QByteArray(R"({"queries":{)" + base + R"(,"p95":"x"}})")
                                   << "queries has the unknown query \"p95\"";
    QTest::newRow("unknown placeholder")
        << QByteArray(R"J({"queries":{"request_rate":"rate(x[{{range}}])","error_ratio":"b"}})J")
        << "queries.request_rate uses the unknown placeholder {{range}}";
    QTest::newRow("quantile outside latency")
        << QByteArray(R"({"queries":{)" + base + R"(,"weight":"{{quantile}}"}})")
        << "queries.weight uses {{quantile}}, which only the latency query has";
    QTest::newRow("latency without quantile")
        << QByteArray(R"({"queries":{)" + base + R"J(,"latency":"histogram_quantile(0.5, x)"}})J")
        << "queries.latency has no {{quantile}}";
    QTest::newRow("required query missing")
        << QByteArray(R"({"queries":{"request_rate":"a"}})") << "queries.error_ratio is missing";
    QTest::newRow("query not a string")
        << QByteArray(R"({"queries":{)" + base + R"(,"accuracy":5}})")
        << "queries.accuracy must be a non-empty string";
    QTest::newRow("bad label name") << QByteArray(R"({"variant_label":"my-variant"})")
                                    << "variant_label is \"my-variant\", which is not a "
                                       "Prometheus label name";
    QTest::newRow("same value twice") << QByteArray(R"({"production":"stable","canary":"stable"})")
                                      << "production and canary are both \"stable\"";
    QTest::newRow("duplicate key")
        << QByteArray(R"({"canary":"a","canary":"b"})") << "key \"canary\" appears twice";
}

void TestPrometheusSource::templateErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    std::string message;
    QVERIFY(!parseQueryTemplates(json.toStdString(), &message));
    QVERIFY2(message.find(error.toStdString()) != std::string::npos, message.c_str());

    // Through the maker, the sentence names the file.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("queries.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json);
    file.close();
    BackendOptions options;
    options.queryFile = path.toStdString();
    Harness h(options);
    QVERIFY(!h.source);
    QVERIFY2(h.error.starts_with("The Prometheus query file " + path.toStdString() +
                                 " cannot be used: "),
             h.error.c_str());
}

void TestPrometheusSource::queryFileLeavesKpisOut()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("queries.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"J({"variant_label":"track","production":"stable","canary":"next",
        "queries":{"request_rate":"sum(rate(http_requests_total{{{selector}}}[{{window}}]))",
                   "error_ratio":"sum(rate(http_errors{{{selector}}}[{{window}}]))",
                   "accuracy":null}})J");
    file.close();
    BackendOptions options;
    options.queryFile = path.toStdString();
    Harness h(options);
    QVERIFY2(h.source, h.error.c_str());
    const auto caps = h.source->capabilities();
    QVERIFY(!caps.accuracy && !caps.quantiles);
    QCOMPARE(caps.limits, std::string("The Prometheus query file gives no latency and no accuracy "
                                      "query, so they stay unknown."));
    QStringList queries;
    h.backend.handle("/api/v1/query", [&](const ScriptedRequest &request) {
        queries << queryOf(request);
        return ScriptedReply::json(200, goodAnswer(queryOf(request)));
    });
    const auto reading = h.read();
    QVERIFY(reading && reading->ok());
    queries.sort();
    QCOMPARE(queries, (QStringList{QStringLiteral("sum(rate(http_errors{track=\"next\"}[30s]))"),
                                   QStringLiteral("sum(rate(http_errors{track=\"stable\"}[30s]))"),
                                   QStringLiteral("sum(rate(http_requests_total{track=\"next\"}["
                                                  "30s]))"),
                                   QStringLiteral("sum(rate(http_requests_total{track=\"stable\"}["
                                                  "30s]))")}));
    const auto &canary = canaryOf(*reading);
    QCOMPARE(canary.requestRate, 0.5);
    QVERIFY(!canary.accuracy);
    QCOMPARE(canary.reason(metrics::Kpi::Accuracy),
             std::string("the Prometheus query file has no accuracy query"));
    QVERIFY(std::isnan(canary.requestsInWindow));
    QVERIFY(std::isnan(canary.meanSeconds));
    QCOMPARE(canary.meanReason, std::string("the Prometheus query file has no latency_mean query"));
}

void TestPrometheusSource::shippedExampleLoads()
{
    std::string error;
    const auto templates = loadQueryTemplates(
        CANARY_TEST_DATA "/../../docs/examples/prometheus-queries-http.json", &error);
    QVERIFY2(templates, error.c_str());
    QCOMPARE(templates->variantLabel, std::string("track"));
    QCOMPARE(templates->productionValue, std::string("stable"));
    QVERIFY(templates->has(Query::Latency) && !templates->has(Query::Accuracy));
    QCOMPARE(expandQuery(*templates, Query::LatencyMean, {VariantRole::Canary, {}, 30s, 0}),
             std::string("sum(increase(http_request_duration_seconds_sum{track=\"canary\"}[30s]))"
                         " / sum(increase(http_request_duration_seconds_count{track=\"canary\"}"
                         "[30s]))"));
    QCOMPARE(
        expandQuery(*templates, Query::ErrorsInWindow, {VariantRole::Canary, "api", 30s, 0}),
        std::string("sum(increase(http_requests_total{track=\"canary\",job=\"api\",code=~"
                    "\"5..\"}[30s])) or (0 * sum(increase(http_requests_total{track=\"canary\","
                    "job=\"api\"}[30s])))"));
}

void TestPrometheusSource::olderReadNeverMixedIn()
{
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    // The first read's queries get no answer until they time out; the second read's are answered.
    h.backend.handle(
        "/api/v1/query", [](const ScriptedRequest &request) -> std::optional<ScriptedReply> {
            const QUrlQuery form(QString::fromUtf8(request.body));
            if (form.queryItemValue(QStringLiteral("time")) == QStringLiteral("1700000000.000"))
                return std::nullopt;
            return ScriptedReply::json(200, goodAnswer(queryOf(request)));
        });
    std::vector<MetricsReading> first;
    h.source->read({30s}, &h.context, [&](MetricsReading r) { first.push_back(std::move(r)); });
    QTRY_COMPARE(h.backend.requests("/api/v1/query"), 30);
    h.clock.advance(1s);
    const auto second = h.read();
    QVERIFY(second);
    QVERIFY2(second->ok(), second->error.c_str());
    QCOMPARE(second->time, kNow + 1s);
    QCOMPARE(canaryOf(*second).requestRate, 0.5);
    // The first read is answered once, as replaced; its queries' time-outs (2 s) reach no one.
    QCOMPARE(first.size(), std::size_t(1));
    QVERIFY2(first[0].error.find("a newer read replaced this one") != std::string::npos,
             first[0].error.c_str());
    QTest::qWait(2500); // the only way to see that nothing more comes: past the timeout
    QCOMPARE(first.size(), std::size_t(1));
}

void TestPrometheusSource::goneContextGetsNoCall()
{
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle("/api/v1/query", [](const ScriptedRequest &request) {
        return ScriptedReply::json(200, goodAnswer(queryOf(request)));
    });
    auto context = std::make_unique<QObject>();
    bool called = false;
    h.source->read({30s}, context.get(), [&](MetricsReading) { called = true; });
    context.reset();
    QTRY_COMPARE(h.backend.requests("/api/v1/query"), 30);
    // The answers still land (a read that follows gets its own); the gone caller hears nothing.
    const auto next = h.read();
    QVERIFY(next && next->ok());
    QVERIFY(!called);
}

void TestPrometheusSource::historyAlignsStepsAndKeepsGaps()
{
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    // Steps at 100, 110, 120 s after kNow; nothing at 130; the canary request rate lacks 110.
    h.backend.handle("/api/v1/query_range", [](const ScriptedRequest &request) {
        const QString query = queryOf(request);
        QByteArray values = R"([1700000100,"1"],[1700000110,"1"],[1700000120,"1"])";
        if (query.startsWith(QLatin1String("sum(rate(canary_requests_total")) &&
            query.contains(QLatin1String("\"canary\"")))
            values = R"([1700000100,"7"],[1700000120,"NaN"])";
        return ScriptedReply::json(200, R"({"status":"success","data":{"resultType":"matrix",)"
                                        R"("result":[{"metric":{},"values":[)" +
                                            values + "]}]}}");
    });
    std::optional<MetricsHistory> history;
    h.source->readHistory(kNow + 100s, kNow + 130s, 10s, 30s, &h.context,
                          [&](MetricsHistory result) { history = std::move(result); });
    QTRY_VERIFY(history.has_value());
    QVERIFY2(history->ok(), history->error.c_str());
    QCOMPARE(history->points.size(), std::size_t(3));
    QCOMPARE(history->points[0].time, kNow + 100s);
    QCOMPARE(history->points[1].time, kNow + 110s);
    QCOMPARE(history->points[2].time, kNow + 120s);
    QCOMPARE(history->points[0].canary.requestRate, 7.0);
    QCOMPARE(history->points[0].production.requestRate, 1.0);
    QCOMPARE(history->points[0].elapsedSeconds, 30.0);
    QVERIFY(std::isnan(history->points[1].canary.requestRate));
    QCOMPARE(history->points[1].canary.reason(metrics::Kpi::RequestRate),
             std::string("Prometheus has no samples for the canary variant in the 30 s up to "
                         "this step"));
    QCOMPARE(history->points[1].canary.errorRatio, 1.0);
    QVERIFY(std::isnan(history->points[2].canary.requestRate));
    const ScriptedRequest &request = h.backend.log().front();
    const QUrlQuery form(QString::fromUtf8(request.body));
    QCOMPARE(form.queryItemValue(QStringLiteral("start")), QStringLiteral("1700000100.000"));
    QCOMPARE(form.queryItemValue(QStringLiteral("end")), QStringLiteral("1700000130.000"));
    QCOMPARE(form.queryItemValue(QStringLiteral("step")), QStringLiteral("10.000"));
    // The three series queries have no history: 13 templates less 3, latency three times.
    QCOMPARE(h.backend.requests("/api/v1/query_range"), 2 * 12);
    QCOMPARE(history->points[1].canary.meanSeconds, 1.0);
}

void TestPrometheusSource::historyRefusesTooManySteps()
{
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    std::optional<MetricsHistory> history;
    h.source->readHistory(kNow, kNow + 24h, 1s, 30s, &h.context,
                          [&](MetricsHistory result) { history = std::move(result); });
    QVERIFY(!history); // never inside the call
    QTRY_VERIFY(history.has_value());
    QCOMPARE(history->error, "Prometheus at " + h.source->address() +
                                 " cannot give a history of 86401 steps: Prometheus answers at "
                                 "most 11000 per query, so ask for a longer step.");
    QCOMPARE(h.backend.requests("/api/v1/query_range"), 0);
}

void TestPrometheusSource::meanLatencyUnknownWithAReason_data()
{
    QTest::addColumn<QByteArray>("answer"); // the canary latency_mean query's
    QTest::addColumn<QString>("reason");
    QTest::newRow("NaN: no requests")
        << goodAnswer(QString(), "NaN")
        << "no requests in the last 30 s (Prometheus answers latency_mean NaN)";
    QTest::newRow("no samples")
        << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[]}})")
        << "Prometheus has no samples for the canary variant in the last 30 s";
    QTest::newRow("+Inf") << goodAnswer(QString(), "+Inf")
                          << "Prometheus answers latency_mean +Inf for the canary variant";
}

void TestPrometheusSource::meanLatencyUnknownWithAReason()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, reason);
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle("/api/v1/query", [&](const ScriptedRequest &request) {
        const QString query = queryOf(request);
        if (query.startsWith(QLatin1String("sum(increase(canary_request_duration_seconds_sum")))
            return ScriptedReply::json(200, query.contains(QLatin1String("\"canary\""))
                                                ? answer
                                                : goodAnswer(query, "0.03"));
        return ScriptedReply::json(200, goodAnswer(query));
    });
    const auto reading = h.read();
    QVERIFY(reading);
    QVERIFY2(reading->ok(), reading->error.c_str());
    const auto &canary = canaryOf(*reading);
    QVERIFY(std::isnan(canary.meanSeconds));
    QVERIFY2(canary.meanReason.find(reason.toStdString()) != std::string::npos,
             canary.meanReason.c_str());
    const auto &production = reading->windows[0]->kpis.production;
    QCOMPARE(production.meanSeconds, 0.03); // the other variant is untouched
    QVERIFY(production.meanReason.empty());
}

void TestPrometheusSource::latencyBucketsNeedAUsableHistogram_data()
{
    QTest::addColumn<QByteArray>("series");
    QTest::addColumn<int>("buckets");
    const auto bucket = [](const char *le, const char *value) {
        return QByteArray(R"({"metric":{"le":")") + le + R"("},"value":[1700000000,")" + value +
               R"("]})";
    };
    QTest::newRow("usable") << bucket("0.1", "5") + "," + bucket("+Inf", "9") << 2;
    QTest::newRow("no +Inf bucket") << bucket("0.1", "5") + "," + bucket("0.2", "9") << 0;
    QTest::newRow("only +Inf") << bucket("+Inf", "9") << 0;
    QTest::newRow("a bound that is no number")
        << bucket("fast", "5") + "," + bucket("+Inf", "9") << 0;
    QTest::newRow("the same bound twice")
        << bucket("0.1", "5") + "," + bucket("0.1", "6") + "," + bucket("+Inf", "9") << 0;
    QTest::newRow("a NaN count") << bucket("0.1", "NaN") + "," + bucket("+Inf", "9") << 0;
    QTest::newRow("a series without le")
        << QByteArray(R"({"metric":{},"value":[1700000000,"3"]},)") + bucket("+Inf", "9") << 0;
}

void TestPrometheusSource::latencyBucketsNeedAUsableHistogram()
{
    QFETCH(QByteArray, series);
    QFETCH(int, buckets);
    Harness h;
    QVERIFY2(h.source, h.error.c_str());
    h.backend.handle("/api/v1/query", [series](const ScriptedRequest &request) {
        const QString query = queryOf(request);
        if (query.startsWith(QLatin1String("sum by (le)")))
            return ScriptedReply::json(
                200,
                R"({"status":"success","data":{"resultType":"vector","result":[)" + series + "]}}");
        return ScriptedReply::json(200, goodAnswer(query));
    });
    const auto reading = h.read();
    QVERIFY(reading);
    QVERIFY2(reading->ok(), reading->error.c_str());
    // A histogram that is not usable is no histogram: the judge's latency gates say no data.
    QCOMPARE(int(canaryOf(*reading).latencyBuckets.size()), buckets);
}

QTEST_GUILESS_MAIN(TestPrometheusSource)
#include "tst_prometheussource.moc"
