// The SageMaker control plane and the CloudWatch source over the wire, and canaryctl on them,
// against tests/fakeaws/fake_aws.py: a local SageMaker and CloudWatch that checks every request's
// SigV4 signature with botocore (what AWS checks: the secret, the session token, the scope, the
// clock) and answers as the API references document. AWS itself cannot run here.
#include "backends/aws/awsbackend.h"
#include "backends/aws/awsclient.h"
#include "backends/aws/cloudwatchsource.h"
#include "backends/aws/sagemakercontrolplane.h"
#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "fakeawsprocess.h"
#include "util/clock.h"
#include "util/scheduler.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <memory>

using namespace canary;
using namespace std::chrono_literals;

namespace {

constexpr const char *kKeyId = "AKIDCANARYTEST";
constexpr const char *kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY";

QJsonObject scenario(double canaryErrors = 0.002)
{
    return QJsonObject{
        {QStringLiteral("region"), QStringLiteral("eu-west-1")},
        {QStringLiteral("credentials"),
         QJsonArray{
             QJsonObject{{QStringLiteral("accessKeyId"), QLatin1String(kKeyId)},
                         {QStringLiteral("secretAccessKey"), QLatin1String(kSecret)}},
             QJsonObject{{QStringLiteral("accessKeyId"), QStringLiteral("ASIATEMPORARY")},
                         {QStringLiteral("secretAccessKey"), QStringLiteral("tempsecret")},
                         {QStringLiteral("sessionToken"), QStringLiteral("session-token-1")}}}},
        {QStringLiteral("endpoints"),
         QJsonArray{QJsonObject{
             {QStringLiteral("name"), QStringLiteral("Fraud-Scorer")},
             {QStringLiteral("status"), QStringLiteral("InService")},
             {QStringLiteral("variants"),
              QJsonArray{
                  FakeAwsProcess::variant(
                      QStringLiteral("prod-v1"), 0.9,
                      QStringLiteral("123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.4")),
                  FakeAwsProcess::variant(
                      QStringLiteral("canary-v2"), 0.1,
                      QStringLiteral(
                          "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:2.0"))}}}}},
        {QStringLiteral("updateDescribes"), 2},
        {QStringLiteral("metrics"),
         QJsonObject{
             {QStringLiteral("rps"), 50},
             {QStringLiteral("historyMinutes"), 60},
             {QStringLiteral("delaySeconds"), 0},
             {QStringLiteral("variants"),
              QJsonObject{{QStringLiteral("prod-v1"), FakeAwsProcess::variantMetrics(40, 0.002)},
                          {QStringLiteral("canary-v2"),
                           FakeAwsProcess::variantMetrics(55, canaryErrors)}}}}}};
}

aws::Environment environment(const char *keyId = kKeyId, const char *secret = kSecret,
                             const char *token = nullptr)
{
    aws::Environment env;
    env.home = QDir::tempPath().toStdString() + "/canary-no-home";
    env.variables["AWS_ACCESS_KEY_ID"] = keyId;
    env.variables["AWS_SECRET_ACCESS_KEY"] = secret;
    if (token)
        env.variables["AWS_SESSION_TOKEN"] = token;
    return env;
}

template<typename Result, typename Start>
Result await(Start start, std::chrono::milliseconds timeout = 20s)
{
    std::optional<Result> result;
    QObject context;
    start(&context, [&](Result r) { result = std::move(r); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, int(timeout.count())))
        return Result{};
    return std::move(*result);
}

} // namespace

class TestSageMaker final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_fake = std::make_unique<FakeAwsProcess>();
        QVERIFY2(m_fake->start(scenario()), qPrintable(m_fake->error()));
    }
    void cleanup()
    {
        m_control.reset();
        m_fake.reset();
    }

    void readsTheEndpoint()
    {
        makeControl();
        const ControlResult result = fetch();
        QVERIFY2(!result.error, result.error.message().c_str());
        QCOMPARE(result.state->canaryWeight(), Weight::fromTenths(100));
        QCOMPARE(result.state->production.model, std::string("prod-v1"));
        QCOMPARE(result.state->production.version, std::string("1.4"));
        QCOMPARE(result.state->canary->version, std::string("2.0"));
        QVERIFY(!result.state->updating);
        QVERIFY(allSigned());
    }

    void aWeightChangeWaitsUntilInService()
    {
        makeControl();
        std::optional<ControlResult> done;
        QObject context;
        m_control->setCanaryWeight(Weight::fromTenths(250), 0, &context,
                                   [&](ControlResult r) { done = std::move(r); });
        // Meanwhile the rollout reads "updating", and a second change is refused at once.
        QTRY_VERIFY(m_control->changeUnderWay() && updates() == 1);
        const ControlResult meanwhile = fetch();
        QVERIFY2(!meanwhile.error, meanwhile.error.message().c_str());
        QVERIFY(meanwhile.state->updating);
        const ControlResult second = await<ControlResult>([&](QObject *c, auto cb) {
            m_control->setCanaryWeight(Weight::fromTenths(500), 0, c, cb);
        });
        QCOMPARE(int(second.error.kind), int(ControlError::Kind::Conflict));
        QVERIFY(!second.error.requestSent);
        QVERIFY2(second.error.message().find("still being applied") != std::string::npos,
                 second.error.message().c_str());

        QTRY_VERIFY_WITH_TIMEOUT(done.has_value(), 15'000);
        QVERIFY2(!done->error, done->error.message().c_str());
        QCOMPARE(done->state->canaryWeight(), Weight::fromTenths(250));
        QVERIFY(!done->state->updating);
        QCOMPARE(updates(), 1); // the refused one never left
        QVERIFY(allSigned());
    }

    void promoteAndRollBack()
    {
        makeControl();
        ControlResult promoted =
            await<ControlResult>([&](QObject *c, auto cb) { m_control->promote(0, c, cb); });
        QVERIFY2(!promoted.error, promoted.error.message().c_str());
        QCOMPARE(promoted.state->canaryWeight(), Weight::fromTenths(1000));
        QCOMPARE(promoted.state->production.weight, Weight());
        ControlResult rolledBack =
            await<ControlResult>([&](QObject *c, auto cb) { m_control->rollback(0, c, cb); });
        QVERIFY2(!rolledBack.error, rolledBack.error.message().c_str());
        QCOMPARE(rolledBack.state->canaryWeight(), Weight());
        // Nothing to do is not sent: the endpoint is already there.
        const int before = updates();
        rolledBack =
            await<ControlResult>([&](QObject *c, auto cb) { m_control->rollback(0, c, cb); });
        QVERIFY(!rolledBack.error);
        QCOMPARE(updates(), before);
    }

    void throttlingIsRetriedWithBackoff()
    {
        makeControl();
        QVERIFY(m_fake->control({{QStringLiteral("throttle"), 2}}));
        const ControlResult result = fetch();
        QVERIFY2(!result.error, result.error.message().c_str());
        QCOMPARE(countOf(QStringLiteral("ThrottlingException")), 2);

        // Throttled on every attempt: a sentence, and nothing changed.
        QVERIFY(m_fake->control({{QStringLiteral("throttle"), 100}}));
        const ControlResult refused = await<ControlResult>([&](QObject *c, auto cb) {
            m_control->setCanaryWeight(Weight::fromTenths(300), 0, c, cb);
        });
        QVERIFY(refused.error);
        QVERIFY2(refused.error.message().find("kept throttling") != std::string::npos,
                 refused.error.message().c_str());
        QVERIFY(m_fake->control({{QStringLiteral("throttle"), 0}}));
        QCOMPARE(fetch().state->canaryWeight(), Weight::fromTenths(100));
        QVERIFY(!m_control->changeUnderWay());
    }

    void aWrongSecretIsRefused()
    {
        makeControl(environment(kKeyId, "not-the-secret"));
        const ControlResult read = fetch();
        QCOMPARE(int(read.error.kind), int(ControlError::Kind::Unauthorized));
        QVERIFY2(read.error.message().find("refused the signature") != std::string::npos,
                 read.error.message().c_str());
        QVERIFY(read.error.message().find("not-the-secret") == std::string::npos);
        const ControlResult change = await<ControlResult>([&](QObject *c, auto cb) {
            m_control->setCanaryWeight(Weight::fromTenths(300), 0, c, cb);
        });
        QVERIFY(change.error);
        QVERIFY(!change.error.requestSent);
        QCOMPARE(updates(), 0);
        // The fake did check: it found the signature wrong, not missing.
        QVERIFY(countOf(QStringLiteral("InvalidSignatureException")) >= 2);
    }

    void sessionTokensAndTheirExpiry()
    {
        makeControl(environment("ASIATEMPORARY", "tempsecret", "session-token-1"));
        QVERIFY2(!fetch().error, fetch().error.message().c_str());
        makeControl(environment("ASIATEMPORARY", "tempsecret", "another-token"));
        QCOMPARE(int(fetch().error.kind), int(ControlError::Kind::Unauthorized));
        makeControl(environment("ASIATEMPORARY", "tempsecret", "session-token-1"));
        QVERIFY(m_fake->control({{QStringLiteral("expire"), true}}));
        const ControlResult expired = fetch();
        QVERIFY2(expired.error.message().find("have expired") != std::string::npos,
                 expired.error.message().c_str());
        QVERIFY(expired.error.message().find("session-token-1") == std::string::npos);
    }

    void anUpdateTheRoleMayNotDoChangesNothing()
    {
        makeControl();
        QVERIFY(
            m_fake->control({{QStringLiteral("deny"),
                              QJsonArray{QStringLiteral("UpdateEndpointWeightsAndCapacities")}}}));
        const ControlResult denied =
            await<ControlResult>([&](QObject *c, auto cb) { m_control->promote(0, c, cb); });
        QCOMPARE(int(denied.error.kind), int(ControlError::Kind::Unauthorized));
        QVERIFY2(denied.error.message().find("sagemaker:UpdateEndpointWeightsAndCapacities") !=
                     std::string::npos,
                 denied.error.message().c_str());
        QVERIFY2(denied.error.message().find("nothing was changed") != std::string::npos,
                 denied.error.message().c_str());
        QCOMPARE(fetch().state->canaryWeight(), Weight::fromTenths(100));
    }

    void anUnknownEndpointIsNamed()
    {
        makeControl(environment(), "No-Such-Endpoint");
        const ControlResult read = fetch();
        QVERIFY(read.error);
        QVERIFY2(read.error.message().find("ValidationException") != std::string::npos &&
                     read.error.message().find("Could not find endpoint") != std::string::npos,
                 read.error.message().c_str());
    }

    void aConcurrentChangeIsToldAtTheEnd()
    {
        makeControl();
        std::optional<ControlResult> done;
        QObject context;
        m_control->setCanaryWeight(Weight::fromTenths(400), 0, &context,
                                   [&](ControlResult r) { done = std::move(r); });
        QTRY_VERIFY(updates() == 1);
        // Someone else's change lands while SageMaker applies ours.
        QVERIFY(m_fake->control(
            {{QStringLiteral("setWeights"),
              QJsonObject{{QStringLiteral("prod-v1"), 0.5}, {QStringLiteral("canary-v2"), 0.5}}}}));
        QTRY_VERIFY_WITH_TIMEOUT(done.has_value(), 15'000);
        QVERIFY(done->error);
        QVERIFY2(done->error.message().find("someone else changed it") != std::string::npos,
                 done->error.message().c_str());
        QCOMPARE(done->state->canaryWeight(), Weight::fromTenths(500));
    }

    void cloudWatchGivesBothVariantsPerMinute()
    {
        CloudWatchSource source(client(aws::cloudWatchService()),
                                {"Fraud-Scorer", "prod-v1", "canary-v2"}, SystemClock::instance(),
                                {});
        const MetricsReading reading = await<MetricsReading>([&](QObject *c, auto cb) {
            source.read({10s, 120s}, c, cb);
        });
        QVERIFY2(reading.ok(), reading.error.c_str());
        QCOMPARE(reading.windows.size(), std::size_t(2));
        const KpiSnapshot &minute = *reading.windows[0];
        QVERIFY(minute.valid());
        QCOMPARE(minute.seconds(), 60.0); // CloudWatch has nothing finer than a minute
        QCOMPARE(reading.windows[1]->seconds(), 120.0);
        // The newest complete minute: it ended within the last two minutes, never in the future.
        const auto age = minute.age(SystemClock::instance().now());
        QVERIFY2(age >= 0ms && age <= 120s, qPrintable(QString::number(age.count())));
        // 50 requests a second split 90/10.
        const auto &production = minute.kpis.production;
        const auto &canaryKpis = minute.kpis.canary;
        QVERIFY2(std::abs(production.requestsInWindow - 2700) <= 2700 * 0.06,
                 qPrintable(QString::number(production.requestsInWindow)));
        QVERIFY2(std::abs(canaryKpis.requestsInWindow - 300) <= 300 * 0.06,
                 qPrintable(QString::number(canaryKpis.requestsInWindow)));
        QVERIFY(production.p50Seconds > 0.030 && production.p50Seconds < 0.050);
        QVERIFY(canaryKpis.p99Seconds > canaryKpis.p50Seconds);
        QVERIFY(canaryKpis.p50Seconds > production.p50Seconds); // 55 ms against 40 ms
        QVERIFY(!canaryKpis.accuracy);
        QVERIFY(!canaryKpis.reason(metrics::Kpi::Accuracy).empty());

        // Within the refresh, the same numbers of the same moment, without asking CloudWatch.
        const int asked = countOf(QStringLiteral("GetMetricData"));
        const MetricsReading again = await<MetricsReading>([&](QObject *c, auto cb) {
            source.read({10s, 120s}, c, cb);
        });
        QCOMPARE(again.time, reading.time);
        QCOMPARE(countOf(QStringLiteral("GetMetricData")), asked);

        // History: one point per minute, oldest first.
        const auto now = SystemClock::instance().now();
        const MetricsHistory history = await<MetricsHistory>(
            [&](QObject *c, auto cb) { source.readHistory(now - 30min, now, 5s, 10s, c, cb); });
        QVERIFY2(history.ok(), history.error.c_str());
        QVERIFY2(history.points.size() >= 29 && history.points.size() <= 31,
                 qPrintable(QString::number(history.points.size())));
        for (std::size_t i = 1; i < history.points.size(); ++i)
            QCOMPARE(history.points[i].time - history.points[i - 1].time,
                     SystemTime::duration(60s));
        QVERIFY(allSigned());
    }

    // A plan's judge reads "everything since the last window it judged": CloudWatch gives exactly
    // the complete minutes after it (however far behind now they are), and no window while it has
    // none newer, so each minute is judged once and none is skipped.
    void cloudWatchGivesAPlanEachMinuteOnce()
    {
        CloudWatchSource source(client(aws::cloudWatchService()),
                                {"Fraud-Scorer", "prod-v1", "canary-v2"}, SystemClock::instance(),
                                {});
        const MetricsReading latest =
            await<MetricsReading>([&](QObject *c, auto cb) { source.read({10s}, c, cb); });
        QVERIFY2(latest.ok(), latest.error.c_str());
        const SystemTime end = latest.time;
        const auto since = [&](SystemTime from) {
            return await<MetricsReading>([&](QObject *c, auto cb) {
                source.readSince(from,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     SystemClock::instance().now() - from),
                                 c, cb);
            });
        };

        const MetricsReading three = since(end - 3min);
        QVERIFY2(three.ok(), three.error.c_str());
        QCOMPARE(three.windows.size(), std::size_t(1));
        QVERIFY(three.windows[0]);
        QCOMPARE(three.windows[0]->from, end - 3min);
        QCOMPARE(three.windows[0]->to, three.time);
        QVERIFY(three.time >= end);
        const double perMinute = latest.windows[0]->kpis.production.requestsInWindow;
        const double minutes = three.windows[0]->seconds() / 60;
        QVERIFY2(std::abs(three.windows[0]->kpis.production.requestsInWindow -
                          perMinute * minutes) <= perMinute * minutes * 0.06,
                 qPrintable(QString::number(three.windows[0]->kpis.production.requestsInWindow)));

        // Not on a minute: the first whole minute after it.
        const MetricsReading partial = since(end - 90s);
        QVERIFY2(partial.ok(), partial.error.c_str());
        QVERIFY(partial.windows[0]);
        QCOMPARE(partial.windows[0]->from, end - 60s);

        // Nothing newer than the newest minute: no window, and no error (unless a minute ended
        // meanwhile, which then starts exactly there).
        const MetricsReading none = since(end);
        QVERIFY2(none.ok(), none.error.c_str());
        QCOMPARE(none.windows.size(), std::size_t(1));
        QVERIFY(!none.windows[0] || none.windows[0]->from == end);
        QVERIFY(allSigned());
    }

    void cloudWatchNamesWrongVariants()
    {
        CloudWatchSource source(client(aws::cloudWatchService()),
                                {"Fraud-Scorer", "prod-v1", "typo"}, SystemClock::instance(), {});
        const MetricsReading reading =
            await<MetricsReading>([&](QObject *c, auto cb) { source.read({10s}, c, cb); });
        QVERIFY(reading.ok()); // production has data, so the canary served nothing: zero
        QCOMPARE(reading.windows[0]->kpis.canary.requestsInWindow, 0.0);
        CloudWatchSource none(client(aws::cloudWatchService()), {"Fraud-Scorer", "a", "b"},
                              SystemClock::instance(), {});
        const MetricsReading empty =
            await<MetricsReading>([&](QObject *c, auto cb) { none.read({10s}, c, cb); });
        QVERIFY(!empty.ok());
        QVERIFY2(empty.error.find("no Invocations") != std::string::npos, empty.error.c_str());
    }

    // canaryctl, the real binary, with the credentials in its environment and the fake as the
    // endpoint URL: status, set-weight, promote, rollback, watch.
    void canaryctlDrivesTheEndpoint()
    {
        const QString backend = backendUrl();
        const auto run = [&](QStringList args) {
            return canaryctl(backend, std::move(args));
        };
        auto [code, out] = run({QStringLiteral("status")});
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("SageMaker, no revisions")), qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("canary-v2")) && out.contains(QLatin1String("10.0 %")),
                 qPrintable(out));
        QVERIFY(!out.contains(QLatin1String(kSecret)));

        std::tie(code, out) =
            run({QStringLiteral("set-weight"), QStringLiteral("30"), QStringLiteral("--yes")});
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("waiting until it has")), qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("canary weight set to 30.0 %")), qPrintable(out));

        std::tie(code, out) = run({QStringLiteral("promote"), QStringLiteral("--yes")});
        QVERIFY2(code == 0, qPrintable(out));
        std::tie(code, out) = run({QStringLiteral("status"), QStringLiteral("--json")});
        QVERIFY2(out.contains(QLatin1String("\"weight\":100")), qPrintable(out));
        std::tie(code, out) = run({QStringLiteral("rollback"), QStringLiteral("--yes")});
        QVERIFY2(code == 0, qPrintable(out));

        std::tie(code, out) =
            run({QStringLiteral("watch"), QStringLiteral("--count"), QStringLiteral("1")});
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("window 60.0 s")) &&
                     out.contains(QLatin1String("CloudWatch")),
                 qPrintable(out));

        // Every action is in the audit trail, and no secret is.
        std::tie(code, out) = run({QStringLiteral("history")});
        QVERIFY2(out.contains(QLatin1String("set_weight")) &&
                     out.contains(QLatin1String("promote")) &&
                     out.contains(QLatin1String("rollback")),
                 qPrintable(out));
        QFile trail(m_home.filePath(QStringLiteral("audit.sqlite3")));
        QVERIFY(trail.open(QIODevice::ReadOnly));
        QVERIFY(!trail.readAll().contains(kSecret));
        QVERIFY(allSigned());
    }

    // The judge on CloudWatch's minutes, headless: a canary whose 5XX errors are 100 times
    // production's is rolled back by `canaryctl run` on the first minute it judges, through
    // UpdateEndpointWeightsAndCapacities, and the trail holds the decision with its reason.
    void aPlanRollsBackOnCloudWatchMinutes()
    {
        m_fake = std::make_unique<FakeAwsProcess>();
        QVERIFY2(m_fake->start(scenario(0.2)), qPrintable(m_fake->error()));
        const QString planPath = m_home.filePath(QStringLiteral("plan.json"));
        QFile plan(planPath);
        QVERIFY(plan.open(QIODevice::WriteOnly));
        plan.write(R"({"name": "cloudwatch test", "interval_seconds": 1,
                       "steps": [{"weight": 10, "bake_seconds": 600, "min_requests": 100}],
                       "gates": [{"name": "errors", "metric": "error_rate"}]})");
        plan.close();

        const QString backend = backendUrl();
        auto [code, out] =
            canaryctl(backend, {QStringLiteral("run"), QStringLiteral("--plan"), planPath});
        QVERIFY2(code == 2, qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("rollback: a critical gate failed")), qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("gate errors: fail: canary errors")), qPrintable(out));
        QVERIFY2(!out.contains(QLatin1String("promote:")), qPrintable(out));
        QVERIFY(!out.contains(QLatin1String(kSecret)));
        QCOMPARE(updates(), 1); // the rollback, and nothing else changed the endpoint

        std::tie(code, out) =
            canaryctl(backend, {QStringLiteral("status"), QStringLiteral("--json")});
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("\"weight\":0")), qPrintable(out));
        std::tie(code, out) = canaryctl(backend, {QStringLiteral("history")});
        QVERIFY2(out.contains(QLatin1String("rollback")) &&
                     out.contains(QLatin1String("cloudwatch test")),
                 qPrintable(out));
        QVERIFY(allSigned());
    }

private:
    QString backendUrl() const
    {
        return QStringLiteral("sagemaker://Fraud-Scorer?region=eu-west-1&production=prod-v1&"
                              "canary=canary-v2&poll=1&endpoint=%1")
            .arg(m_fake->url());
    }

    // canaryctl, the real binary, with the credentials in its environment, its own HOME and the
    // test's audit trail: its exit code and everything it printed.
    std::pair<int, QString> canaryctl(const QString &backend, QStringList args)
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QLatin1String(kKeyId));
        env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QLatin1String(kSecret));
        env.insert(QStringLiteral("HOME"), m_home.path());
        process.setProcessEnvironment(env);
        args = QStringList{QStringLiteral("--backend"), backend, QStringLiteral("--db"),
                           m_home.filePath(QStringLiteral("audit.sqlite3"))} +
               args;
        process.start(QStringLiteral(CANARYCTL_BIN), args);
        process.waitForFinished(60'000);
        return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput() +
                                                      process.readAllStandardError())};
    }

    std::unique_ptr<aws::JsonClient> client(const aws::Service &service,
                                            aws::Environment env = environment())
    {
        aws::ClientSettings settings;
        settings.region = "eu-west-1";
        settings.endpointUrl = m_fake->url().toStdString();
        settings.environment = std::move(env);
        settings.firstBackoff = 50ms; // the rule (doubling, 4 attempts) without the wait
        return std::make_unique<aws::JsonClient>(&m_transport, QtScheduler::instance(), service,
                                                 std::move(settings));
    }

    void makeControl(aws::Environment env = environment(), std::string endpoint = "Fraud-Scorer")
    {
        SageMakerControlPlane::Settings settings;
        settings.pollInterval = 200ms;
        m_control = std::make_unique<SageMakerControlPlane>(
            client(aws::sageMakerService(), std::move(env)),
            SageMakerTarget{std::move(endpoint), "prod-v1", "canary-v2"}, QtScheduler::instance(),
            settings);
    }

    ControlResult fetch()
    {
        return await<ControlResult>([&](QObject *c, auto cb) { m_control->fetchState(c, cb); });
    }

    // Requests the fake recorded whose action or error type is `what`.
    int countOf(const QString &what)
    {
        int n = 0;
        for (const QJsonValue &request : m_fake->requests()) {
            const QJsonObject r = request.toObject();
            if (r.value(QStringLiteral("action")).toString() == what ||
                r.value(QStringLiteral("errorType")).toString() == what)
                ++n;
        }
        return n;
    }
    int updates()
    {
        int n = 0;
        for (const QJsonValue &request : m_fake->requests()) {
            const QJsonObject r = request.toObject();
            if (r.value(QStringLiteral("action")).toString() ==
                    QLatin1String("UpdateEndpointWeightsAndCapacities") &&
                r.value(QStringLiteral("errorType")).toString().isEmpty())
                ++n;
        }
        return n;
    }
    bool allSigned()
    {
        const QJsonArray requests = m_fake->requests();
        for (const QJsonValue &request : requests) {
            if (!request.toObject().value(QStringLiteral("signatureOk")).toBool())
                return false;
        }
        return !requests.isEmpty();
    }

    std::unique_ptr<FakeAwsProcess> m_fake;
    HttpTransport m_transport;
    std::unique_ptr<SageMakerControlPlane> m_control;
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestSageMaker)
#include "tst_sagemaker.moc"
