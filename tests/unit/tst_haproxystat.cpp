// The pure readers of HAProxy runtime API answers: show stat CSV, get weight, the weight mapping,
// URLs and the KPI windows made from readings.
#include "backends/haproxy/haproxybackend.h"
#include "backends/haproxy/haproxymetricssource.h"
#include "backends/haproxy/haproxystat.h"

#include <QFile>
#include <QTest>

#include <cmath>

using namespace canary;
using namespace canary::haproxy;

namespace {

std::string recorded(const char *name)
{
    QFile file(QStringLiteral(CANARY_TEST_DATA "/haproxy/") + QString::fromLatin1(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

HaproxyTarget target()
{
    HaproxyTarget t;
    t.endpoint.path = "/run/haproxy.sock";
    t.backend = "be";
    t.production = "prod";
    t.canary = "can";
    return t;
}

HaproxyReading readingAt(int second, double prodRequests, double canRequests, double prod5xx,
                         double can5xx, double prodWeight = 192, double canWeight = 64)
{
    HaproxyReading reading;
    reading.time = SystemTime(std::chrono::milliseconds(1'700'000'000'000 + second * 1000));
    reading.production = {"prod", "UP", prodRequests, "req_tot", prod5xx, prodWeight, {}, {}};
    reading.canary = {"can", "UP", canRequests, "req_tot", can5xx, canWeight, {}, {}};
    return reading;
}

} // namespace

class TestHaproxyStat final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesRecordedAnswer()
    {
        const std::string answer = recorded("show-stat-2.6.csv");
        QVERIFY(!answer.empty());
        std::string error;
        const auto table = parseShowStat(answer, &error);
        QVERIFY2(table, error.c_str());
        QCOMPARE(table->rows.size(), std::size_t(3));
        const auto counters = serverCounters(*table, "be", "can", &error);
        QVERIFY2(counters, error.c_str());
        QCOMPARE(counters->weight, std::optional<double>(64));
        QCOMPARE(counters->requestsField, std::string("req_tot"));
        QCOMPARE(counters->status, std::string("no check"));
        QCOMPARE(table->find("be", "BACKEND")->text("algo"),
                 std::optional<std::string_view>("roundrobin"));
    }

    void parsesByHeaderName_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<double>("requests"); // NaN: absent
        QTest::addColumn<QString>("requestsField");
        QTest::addColumn<double>("errors"); // NaN: absent
        QTest::addColumn<double>("weight");
        QTest::addColumn<QString>("errorContains");
        const double none = std::nan("");

        QTest::newRow("2.x order")
            << QStringLiteral("# pxname,svname,stot,status,weight,hrsp_5xx,req_tot,\n"
                              "be,can,10,UP,64,3,12,\n\n")
            << true << 12.0 << "req_tot" << 3.0 << 64.0 << "";
        QTest::newRow("other order")
            << QStringLiteral("# req_tot,hrsp_5xx,weight,status,svname,pxname\n"
                              "7,1,5,UP,can,be\n")
            << true << 7.0 << "req_tot" << 1.0 << 5.0 << "";
        QTest::newRow("tcp mode: stot, no hrsp_5xx")
            << QStringLiteral("# pxname,svname,stot,status,weight,\n"
                              "be,can,41,UP,10,\n")
            << true << 41.0 << "stot" << none << 10.0 << "";
        QTest::newRow("empty cells are absent")
            << QStringLiteral("# pxname,svname,stot,req_tot,hrsp_5xx,weight,\n"
                              "be,can,,,,1,\n")
            << true << none << "" << none << 1.0 << "";
        QTest::newRow("quoted cells")
            << QStringLiteral("# pxname,svname,check_desc,req_tot,weight,\n"
                              "be,can,\"Layer7, \"\"wrong\"\" status\",9,2,\n")
            << true << 9.0 << "req_tot" << none << 2.0 << "";
        QTest::newRow("garbage counter") << QStringLiteral("# pxname,svname,req_tot,weight\n"
                                                           "be,can,12x,2\n")
                                         << true << none << "" << none << 2.0 << "";
        QTest::newRow("negative counter") << QStringLiteral("# pxname,svname,req_tot,weight\n"
                                                            "be,can,-5,2\n")
                                          << true << none << "" << none << 2.0 << "";
        QTest::newRow("no header") << QStringLiteral("be,can,1,2\n") << false << none << "" << none
                                   << 0.0 << "no \"# pxname";
        QTest::newRow("refusal text") << QStringLiteral("Permission denied\n\n") << false << none
                                      << "" << none << 0.0 << "Permission denied";
        QTest::newRow("empty") << QStringLiteral("\n") << false << none << "" << none << 0.0
                               << "empty";
        QTest::newRow("header without svname") << QStringLiteral("# pxname,req_tot\nbe,1\n")
                                               << false << none << "" << none << 0.0 << "no svname";
        QTest::newRow("short line") << QStringLiteral("# pxname,svname,req_tot,weight,\n"
                                                      "be,can,\n")
                                    << false << none << "" << none << 0.0
                                    << "line 2 of the show stat answer has 3 fields where the "
                                       "header has 4";
        QTest::newRow("open quote") << QStringLiteral("# pxname,svname,req_tot\n"
                                                      "be,\"can,1\n")
                                    << false << none << "" << none << 0.0 << "not valid CSV";
        QTest::newRow("text after quote") << QStringLiteral("# pxname,svname,req_tot\n"
                                                            "be,\"can\"x,1\n")
                                          << false << none << "" << none << 0.0 << "not valid CSV";
    }

    void parsesByHeaderName()
    {
        QFETCH(QString, answer);
        QFETCH(bool, ok);
        QFETCH(double, requests);
        QFETCH(QString, requestsField);
        QFETCH(double, errors);
        QFETCH(double, weight);
        QFETCH(QString, errorContains);
        std::string error;
        const auto table = parseShowStat(answer.toStdString(), &error);
        QCOMPARE(bool(table), ok);
        if (!ok) {
            QVERIFY2(QString::fromStdString(error).contains(errorContains), error.c_str());
            return;
        }
        const auto counters = serverCounters(*table, "be", "can", &error);
        QVERIFY2(counters, error.c_str());
        QCOMPARE(counters->requests.has_value(), !std::isnan(requests));
        if (counters->requests)
            QCOMPARE(*counters->requests, requests);
        QCOMPARE(QString::fromStdString(counters->requestsField), requestsField);
        QCOMPARE(counters->errors5xx.has_value(), !std::isnan(errors));
        if (counters->errors5xx)
            QCOMPARE(*counters->errors5xx, errors);
        QCOMPARE(counters->weight, std::optional<double>(weight));
    }

    void namesWhatIsMissing()
    {
        std::string error;
        const auto table = parseShowStat("# pxname,svname,weight\nbe,prod,1\n", &error);
        QVERIFY(table);
        QVERIFY(!serverCounters(*table, "be", "can", &error));
        QCOMPARE(error, std::string("backend be has no server can"));
        QVERIFY(!serverCounters(*table, "other", "can", &error));
        QCOMPARE(error, std::string("there is no backend other"));
    }

    void refusesOversizedAnswer()
    {
        std::string huge = "# pxname,svname\n";
        huge.append(kMaxStatBytes, 'x');
        std::string error;
        QVERIFY(!parseShowStat(huge, &error));
        QVERIFY(error.find("larger than") != std::string::npos);
    }

    void getWeight_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<int>("weight"); // -1: not a weight
        QTest::newRow("2.6") << QStringLiteral("64 (initial 0)\n\n") << 64;
        QTest::newRow("bare") << QStringLiteral("256\n") << 256;
        QTest::newRow("zero") << QStringLiteral("0 (initial 1)\n") << 0;
        QTest::newRow("no such server") << QStringLiteral("No such server.\n\n") << -1;
        QTest::newRow("above 256") << QStringLiteral("300 (initial 1)\n") << -1;
        QTest::newRow("trailing garbage") << QStringLiteral("12 apples\n") << -1;
        QTest::newRow("empty") << QString() << -1;
    }

    void getWeight()
    {
        QFETCH(QString, answer);
        QFETCH(int, weight);
        const auto parsed = parseGetWeight(answer.toStdString());
        QCOMPARE(parsed.value_or(-1), weight);
    }

    void weightMapping_data()
    {
        QTest::addColumn<int>("requestedTenths");
        QTest::addColumn<int>("production");
        QTest::addColumn<int>("canary");
        QTest::addColumn<int>("effectiveTenths");
        // canary = round(p × 256 / 100), halves up; the share is canary / 256 to 0.1 %.
        QTest::newRow("0 %") << 0 << 256 << 0 << 0;
        QTest::newRow("0.1 %: rounds to 0") << 1 << 256 << 0 << 0;
        QTest::newRow("0.2 %: the half rounds up") << 2 << 255 << 1 << 4;
        QTest::newRow("1 %") << 10 << 253 << 3 << 12;
        QTest::newRow("5 %") << 50 << 243 << 13 << 51;
        QTest::newRow("10 %") << 100 << 230 << 26 << 102;
        QTest::newRow("12.5 %: exact") << 125 << 224 << 32 << 125;
        QTest::newRow("25 %: exact") << 250 << 192 << 64 << 250;
        QTest::newRow("33.3 %") << 333 << 171 << 85 << 332;
        QTest::newRow("50 %") << 500 << 128 << 128 << 500;
        QTest::newRow("99.9 %") << 999 << 0 << 256 << 1000;
        QTest::newRow("100 %") << 1000 << 0 << 256 << 1000;
    }

    void weightMapping()
    {
        QFETCH(int, requestedTenths);
        QFETCH(int, production);
        QFETCH(int, canary);
        QFETCH(int, effectiveTenths);
        const Weight requested = Weight::fromTenths(requestedTenths);
        const ServerWeights weights = weightsForShare(requested);
        QCOMPARE(weights.production, production);
        QCOMPARE(weights.canary, canary);
        QCOMPARE(nearestShare(requested).tenths(), effectiveTenths);
        // What nearestWeight promises is what reading the weights back shows.
        QCOMPARE(shareOfWeights(weights.production, weights.canary)->tenths(), effectiveTenths);
    }

    void shareOfForeignWeights()
    {
        // Weights set by hand need not add up to 256.
        QCOMPARE(shareOfWeights(1, 1)->tenths(), 500);
        QCOMPARE(shareOfWeights(2, 1)->tenths(), 333);
        QCOMPARE(shareOfWeights(0, 5)->tenths(), 1000);
        QVERIFY(!shareOfWeights(0, 0));
    }

    void statusesThatTakeTraffic_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<bool>("takes");
        QTest::newRow("UP") << QStringLiteral("UP") << true;
        QTest::newRow("no check") << QStringLiteral("no check") << true;
        QTest::newRow("going down") << QStringLiteral("UP 1/3") << true;
        QTest::newRow("DOWN") << QStringLiteral("DOWN") << false;
        QTest::newRow("MAINT") << QStringLiteral("MAINT") << false;
        QTest::newRow("MAINT via") << QStringLiteral("MAINT (via be/other)") << false;
        QTest::newRow("DRAIN") << QStringLiteral("DRAIN") << false;
        QTest::newRow("NOLB") << QStringLiteral("NOLB") << false;
    }

    void statusesThatTakeTraffic()
    {
        QFETCH(QString, status);
        QFETCH(bool, takes);
        QCOMPARE(takesTraffic(status.toStdString()), takes);
    }

    void stateShowsEffectiveShare()
    {
        HaproxyControlPlane::Reading reading{192, 64, "UP", "UP", "roundrobin"};
        std::string error;
        auto state = HaproxyControlPlane::stateOf(target(), reading, &error);
        QVERIFY(state);
        QCOMPARE(state->canaryWeight().tenths(), 250);
        QCOMPARE(state->production.weight.tenths(), 750);
        QCOMPARE(state->production.model, std::string("prod"));
        QCOMPARE(state->canary->model, std::string("can"));
        QVERIFY(state->phase == RolloutPhase::Canary);
        QCOMPARE(state->revision, std::int64_t(0));

        reading.canaryStatus = "MAINT"; // in maintenance: no traffic whatever its weight
        state = HaproxyControlPlane::stateOf(target(), reading, &error);
        QVERIFY(state);
        QCOMPARE(state->canaryWeight().tenths(), 0);

        reading = {0, 0, "UP", "UP", "roundrobin"};
        QVERIFY(!HaproxyControlPlane::stateOf(target(), reading, &error));
        QVERIFY2(error.find("sends traffic to neither prod") != std::string::npos, error.c_str());
    }

    void urls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("errorContains"); // empty: valid
        QTest::addColumn<QString>("address");
        QTest::newRow("unix")
            << QStringLiteral(
                   "haproxy+unix:///run/haproxy/admin.sock?backend=be&production=prod&canary=can")
            << QString() << "unix:///run/haproxy/admin.sock";
        QTest::newRow("tcp")
            << QStringLiteral("haproxy+tcp://127.0.0.1:9999?backend=be&production=prod&canary=can")
            << QString() << "tcp://127.0.0.1:9999";
        QTest::newRow("no canary")
            << QStringLiteral("haproxy+unix:///run/h.sock?backend=be&production=prod")
            << "The HAProxy URL haproxy+unix:///run/h.sock?backend=be&"
               "production=prod lacks canary"
            << "";
        QTest::newRow("nothing") << QStringLiteral("haproxy+unix:///run/h.sock")
                                 << "lacks backend, production, canary"
                                 << "";
        QTest::newRow("no path") << QStringLiteral(
                                        "haproxy+unix://?backend=be&production=a&canary=b")
                                 << "has no socket path"
                                 << "";
        QTest::newRow("host in unix")
            << QStringLiteral("haproxy+unix://run/h.sock?backend=be&production=a&canary=b")
            << "names a host"
            << "";
        QTest::newRow("no port") << QStringLiteral(
                                        "haproxy+tcp://127.0.0.1?backend=be&production=a&canary=b")
                                 << "has no port"
                                 << "";
        QTest::newRow("same server")
            << QStringLiteral("haproxy+tcp://h:1?backend=be&production=a&canary=a")
            << "the same server"
            << "";
        QTest::newRow("space in name")
            << QStringLiteral("haproxy+tcp://h:1?backend=b%20e&production=a&canary=c")
            << "not an HAProxy name"
            << "";
        QTest::newRow("other scheme")
            << QStringLiteral("http://h:1?backend=b&production=a&canary=c") << "neither the scheme"
            << "";
    }

    void urls()
    {
        QFETCH(QString, url);
        QFETCH(QString, errorContains);
        QFETCH(QString, address);
        std::string error;
        const auto parsed = haproxyTargetFromUrl(QUrl(url), &error);
        QCOMPARE(bool(parsed), errorContains.isEmpty());
        if (parsed) {
            QCOMPARE(QString::fromStdString(parsed->endpoint.display()), address);
            QCOMPARE(parsed->backend, std::string("be"));
        } else {
            QVERIFY2(QString::fromStdString(error).contains(errorContains), error.c_str());
            QVERIFY(error.ends_with('.'));
        }
    }

    void makersRefuseBadUrls()
    {
        BackendOptions options;
        BackendContext context{options, nullptr, SystemClock::instance()};
        std::string error;
        QVERIFY(
            !makeHaproxyControlPlane(QUrl(QStringLiteral("haproxy+unix:///x")), context, &error));
        QVERIFY(error.find("haproxy+unix:///x lacks backend") != std::string::npos);
        error.clear();
        QVERIFY(!makeHaproxyMetricsSource(QUrl(QStringLiteral("haproxy+tcp://h?backend=b")),
                                          context, &error));
        QVERIFY(error.find("has no port") != std::string::npos);
        const QUrl good(QStringLiteral("haproxy+tcp://h:1?backend=b&production=p&canary=c"));
        auto control = makeHaproxyControlPlane(good, context, &error);
        QVERIFY(control);
        QCOMPARE(control->capabilities().kind, std::string("HAProxy"));
        QVERIFY(!control->capabilities().revisions);
        QVERIFY(!control->capabilities().staging);
        QCOMPARE(control->nearestWeight(Weight::fromTenths(100)).tenths(), 102);
        auto metrics = makeHaproxyMetricsSource(good, context, &error);
        QVERIFY(metrics);
        QVERIFY(!metrics->capabilities().quantiles);
        QVERIFY(!metrics->capabilities().accuracy);
        QVERIFY(!metrics->capabilities().limits.empty());
    }

    void windowsFromReadings()
    {
        const std::vector<HaproxyReading> readings = {
            readingAt(0, 100, 10, 1, 0), readingAt(5, 175, 35, 1, 5), readingAt(10, 250, 60, 4, 5)};
        const auto kpis = HaproxyMetricsSource::kpisOver(readings);
        QVERIFY2(kpis.ok(), kpis.error.c_str());
        QCOMPARE(kpis.production.requestsInWindow, 150.0);
        QCOMPARE(kpis.canary.requestsInWindow, 50.0);
        QCOMPARE(kpis.production.requestRate, 15.0);
        QCOMPARE(kpis.canary.errorRatio, 0.1);
        QCOMPARE(kpis.production.errorRatio, 0.02);
        QCOMPARE(kpis.canary.weightPercent, 25.0);
        QCOMPARE(kpis.production.weightPercent, 75.0);
        for (const auto *variant : {&kpis.production, &kpis.canary}) {
            QVERIFY(!variant->known(metrics::Kpi::Accuracy));
            QVERIFY(
                variant->reason(metrics::Kpi::Accuracy).starts_with("HAProxy gives no accuracy"));
            QVERIFY(!variant->known(metrics::Kpi::LatencyP95));
            QVERIFY(variant->reason(metrics::Kpi::LatencyP95)
                        .find("pair it with Prometheus for "
                              "quantiles") != std::string::npos);
        }
    }

    void restartIsACounterReset()
    {
        // HAProxy restarted between the second and third reading: its counters began again.
        const std::vector<HaproxyReading> readings = {readingAt(0, 1000, 100, 0, 0),
                                                      readingAt(5, 1100, 120, 0, 0),
                                                      readingAt(10, 30, 8, 0, 0)};
        const auto kpis = HaproxyMetricsSource::kpisOver(readings);
        QVERIFY(kpis.ok());
        QCOMPARE(kpis.production.requestsInWindow, 130.0);
        QCOMPARE(kpis.canary.requestsInWindow, 28.0);
        QVERIFY(kpis.production.restartedAt.has_value());
        QVERIFY(!kpis.production.resets.empty());
    }

    void tcpModeSaysWhatIsMissing()
    {
        std::vector<HaproxyReading> readings = {readingAt(0, 10, 10, 0, 0),
                                                readingAt(5, 20, 20, 0, 0)};
        for (auto &reading : readings) {
            reading.production.errors5xx.reset();
            reading.canary.errors5xx.reset();
        }
        const auto kpis = HaproxyMetricsSource::kpisOver(readings);
        QVERIFY(kpis.production.known(metrics::Kpi::RequestRate));
        QVERIFY(!kpis.production.known(metrics::Kpi::ErrorRate));
        QVERIFY(
            kpis.production.reason(metrics::Kpi::ErrorRate).find("no hrsp_5xx for server prod") !=
            std::string::npos);
    }

    void bothWeightsZeroIsNoShare()
    {
        const std::vector<HaproxyReading> readings = {readingAt(0, 10, 10, 0, 0, 0, 0),
                                                      readingAt(5, 20, 20, 0, 0, 0, 0)};
        const auto kpis = HaproxyMetricsSource::kpisOver(readings);
        QVERIFY(!kpis.canary.known(metrics::Kpi::Weight));
        QVERIFY(kpis.canary.reason(metrics::Kpi::Weight).starts_with("HAProxy gives no share"));
    }

    void readingOfNamesTheProblem()
    {
        std::string error;
        QVERIFY(!HaproxyMetricsSource::readingOf(target(), "No such proxy.\n\n", {}, &error));
        QVERIFY(error.find("there is no backend be") != std::string::npos);
        QVERIFY(!HaproxyMetricsSource::readingOf(target(), "garbage\n", {}, &error));
        QVERIFY(error.starts_with("malformed answer to \"show stat\""));
        const auto reading =
            HaproxyMetricsSource::readingOf(target(), recorded("show-stat-2.6.csv"), {}, &error);
        QVERIFY2(reading, error.c_str());
        QCOMPARE(reading->production.weight, std::optional<double>(256));
    }
};

QTEST_APPLESS_MAIN(TestHaproxyStat)
#include "tst_haproxystat.moc"
