#include "domain/rolloutrules.h"
#include "gatewayprocess.h"
#include "httpclient.h"

#include <QTest>

#include <memory>

using nlohmann::json;

namespace {

QByteArray bytes(const char *text)
{
    return QByteArray(text);
}

} // namespace

// Control API v1 against the real gateway. Each test starts a fresh gateway (demo models,
// canary at 10 %, revision 1) so the state of one test never leaks into another.
class TestGatewayControl final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void getRollout();
    void setWeight();
    void ifMatchForms_data();
    void ifMatchForms();
    void promote();
    void rollback();
    void stageCanary();
    void staleIfMatchGives412WithState();
    void missingIfMatchGives428();
    void unauthorized_data();
    void unauthorized();
    void badRequests_data();
    void badRequests();
    void notFoundAndMethodNotAllowed_data();
    void notFoundAndMethodNotAllowed();
    void stateSurvivesNothingButRestart();

private:
    HttpReply mutate(const QByteArray &method, const QString &path, const QByteArray &body,
                     const QByteArray &ifMatch);
    json rollout();
    static void verifyProblem(const HttpReply &reply, int status, const QString &slug);
    // A 409 whose detail is the sentence the console's rules give for `lever` on `state`.
    static void verifyRefusal(const HttpReply &reply, canary::Lever lever, const json &state);

    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
};

void TestGatewayControl::init()
{
    m_gateway = std::make_unique<GatewayProcess>();
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
    m_http = std::make_unique<HttpClient>(m_gateway->url());
}

void TestGatewayControl::cleanup()
{
    m_http.reset();
    if (m_gateway)
        QCOMPARE(m_gateway->terminate(), 0);
    m_gateway.reset();
}

HttpReply TestGatewayControl::mutate(const QByteArray &method, const QString &path,
                                     const QByteArray &body, const QByteArray &ifMatch)
{
    HttpHeaders headers{{"Authorization", "Bearer " + m_gateway->token()}};
    if (!ifMatch.isNull())
        headers.push_back({"If-Match", ifMatch});
    if (!body.isEmpty())
        headers.push_back({"Content-Type", "application/json"});
    return m_http->send({method, path, body, headers});
}

json TestGatewayControl::rollout()
{
    const auto reply = m_http->get(QStringLiteral("/v1/rollout"));
    if (reply.status != 200)
        return json();
    return reply.json();
}

void TestGatewayControl::verifyProblem(const HttpReply &reply, int status, const QString &slug)
{
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.header("Content-Type"), bytes("application/problem+json"));
    QCOMPARE(reply.header("Cache-Control"), bytes("no-store"));
    const auto body = reply.json();
    QVERIFY2(body.is_object(), reply.body.constData());
    QCOMPARE(QString::fromStdString(body.value("type", "")),
             QStringLiteral("urn:canary:problem:") + slug);
    QCOMPARE(body.value("status", 0), status);
    QVERIFY(!body.value("title", "").empty());
    QVERIFY(!body.value("detail", "").empty());
}

void TestGatewayControl::verifyRefusal(const HttpReply &reply, canary::Lever lever,
                                       const json &state)
{
    verifyProblem(reply, 409, QStringLiteral("conflict"));
    std::string error;
    const auto parsed = canary::rolloutStateFromJson(state, &error);
    QVERIFY2(parsed, error.c_str());
    const canary::LeverDecision decision =
        canary::decideLever(lever, canary::readRollout(*parsed), canary::controlApiCapabilities());
    QVERIFY(!decision.allowed);
    QCOMPARE(QString::fromStdString(reply.json().at("detail").get<std::string>()),
             QString::fromStdString(decision.why));
}

void TestGatewayControl::getRollout()
{
    const auto reply = m_http->get(QStringLiteral("/v1/rollout"));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("ETag"), bytes("\"1\""));
    QCOMPARE(reply.header("Cache-Control"), bytes("no-store"));
    QVERIFY(reply.header("Content-Type").startsWith("application/json"));
    const auto body = reply.json();
    QCOMPARE(body.at("revision").get<int>(), 1);
    QCOMPARE(body.at("state").get<std::string>(), std::string("canary"));
    const auto &variants = body.at("variants");
    QCOMPARE(variants.size(), std::size_t(2));
    QCOMPARE(variants[0].at("name").get<std::string>(), std::string("production"));
    QCOMPARE(variants[1].at("name").get<std::string>(), std::string("canary"));
    QCOMPARE(variants[0].at("weight").get<double>() + variants[1].at("weight").get<double>(),
             100.0);
    QVERIFY(body.at("updated_at").is_string());
}

void TestGatewayControl::setWeight()
{
    auto reply =
        mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 12.5})", "\"1\"");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("ETag"), bytes("\"2\""));
    auto body = reply.json();
    QCOMPARE(body.at("revision").get<int>(), 2);
    QCOMPARE(body.at("variants")[0].at("weight").get<double>(), 87.5);
    QCOMPARE(body.at("variants")[1].at("weight").get<double>(), 12.5);
    QVERIFY(sameJson(rollout(), body));

    // The same weight again is a no-op: 200, no new revision, even with the old If-Match.
    reply = mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 12.5})", "\"1\"");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json().at("revision").get<int>(), 2);
}

void TestGatewayControl::ifMatchForms_data()
{
    QTest::addColumn<QByteArray>("ifMatch");
    QTest::newRow("quoted") << bytes("\"1\"");
    QTest::newRow("bare") << bytes("1");
    QTest::newRow("star") << bytes("*");
    QTest::newRow("weak") << bytes("W/\"1\"");
}

void TestGatewayControl::ifMatchForms()
{
    QFETCH(QByteArray, ifMatch);
    const auto reply =
        mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 20})", ifMatch);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json().at("revision").get<int>(), 2);
}

void TestGatewayControl::promote()
{
    auto reply = mutate("POST", QStringLiteral("/v1/rollout/promote"), {}, "\"1\"");
    QCOMPARE(reply.status, 200);
    auto body = reply.json();
    QCOMPARE(body.at("state").get<std::string>(), std::string("promoted"));
    QCOMPARE(body.at("revision").get<int>(), 2);
    QCOMPARE(body.at("variants").size(), std::size_t(1));
    QCOMPARE(body.at("variants")[0].at("version").get<std::string>(), std::string("2.4.0"));
    QCOMPARE(body.at("variants")[0].at("weight").get<double>(), 100.0);

    reply = mutate("POST", QStringLiteral("/v1/rollout/promote"), "{}", "\"1\"");
    QCOMPARE(reply.status, 200);
    QVERIFY(sameJson(reply.json(), body));

    // Nothing staged any more: weights and rollback are conflicts, said as the console says them.
    reply = mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 5})", "\"2\"");
    verifyRefusal(reply, canary::Lever::SetWeight, body);
    reply = mutate("POST", QStringLiteral("/v1/rollout/rollback"), {}, "\"2\"");
    verifyRefusal(reply, canary::Lever::Rollback, body);
    QVERIFY(sameJson(rollout(), body));
}

void TestGatewayControl::rollback()
{
    auto reply = mutate("POST", QStringLiteral("/v1/rollout/rollback"), {}, "\"1\"");
    QCOMPARE(reply.status, 200);
    const auto body = reply.json();
    QCOMPARE(body.at("state").get<std::string>(), std::string("rolled_back"));
    QCOMPARE(body.at("revision").get<int>(), 2);
    QCOMPARE(body.at("variants")[1].at("weight").get<double>(), 0.0);
    QCOMPARE(body.at("variants")[0].at("weight").get<double>(), 100.0);

    reply = mutate("POST", QStringLiteral("/v1/rollout/rollback"), {}, "\"1\"");
    QCOMPARE(reply.status, 200);
    QVERIFY(sameJson(reply.json(), body));

    reply = mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 0})", "\"1\"");
    QCOMPARE(reply.status, 200);
    QVERIFY(sameJson(reply.json(), body));

    reply = mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 5})", "\"2\"");
    verifyRefusal(reply, canary::Lever::SetWeight, body);
    QVERIFY(reply.json().at("detail").get<std::string>().find("Stage a canary") !=
            std::string::npos);

    reply = mutate("POST", QStringLiteral("/v1/rollout/promote"), {}, "\"2\"");
    verifyRefusal(reply, canary::Lever::Promote, body);
    QVERIFY(sameJson(rollout(), body));
}

void TestGatewayControl::stageCanary()
{
    const QByteArray canary =
        R"({"model": "fraud-model", "version": "2.5.0", "simulate": {"latency_p50_ms": 5, "latency_p99_ms": 9}})";
    // The canary holds 10 %: staging another is a conflict.
    const json before = rollout();
    auto reply = mutate("PUT", QStringLiteral("/v1/rollout/canary"), canary, "\"1\"");
    verifyRefusal(reply, canary::Lever::Stage, before);
    QVERIFY(sameJson(rollout(), before));

    reply = mutate("POST", QStringLiteral("/v1/rollout/promote"), {}, "\"1\"");
    QCOMPARE(reply.status, 200);
    reply = mutate("PUT", QStringLiteral("/v1/rollout/canary"), canary, "\"2\"");
    QCOMPARE(reply.status, 200);
    auto body = reply.json();
    QCOMPARE(body.at("state").get<std::string>(), std::string("canary"));
    QCOMPARE(body.at("revision").get<int>(), 3);
    QCOMPARE(body.at("variants")[1].at("version").get<std::string>(), std::string("2.5.0"));
    QCOMPARE(body.at("variants")[1].at("weight").get<double>(), 0.0);

    // Same canary again at 0 %: idempotent. Another one at 0 %: replaces it.
    reply = mutate("PUT", QStringLiteral("/v1/rollout/canary"), canary, "\"2\"");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json().at("revision").get<int>(), 3);
    reply = mutate("PUT", QStringLiteral("/v1/rollout/canary"),
                   R"({"model": "fraud-model", "version": "2.6.0"})", "\"3\"");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json().at("variants")[1].at("version").get<std::string>(), std::string("2.6.0"));
    QCOMPARE(reply.json().at("revision").get<int>(), 4);
}

void TestGatewayControl::staleIfMatchGives412WithState()
{
    QCOMPARE(
        mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 30})", "\"1\"").status,
        200);
    const auto before = rollout();
    const auto reply =
        mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 40})", "\"1\"");
    verifyProblem(reply, 412, QStringLiteral("precondition-failed"));
    QCOMPARE(reply.header("ETag"), bytes("\"2\""));
    QVERIFY(sameJson(reply.json().at("rollout"), before));
    QVERIFY(sameJson(rollout(), before));
}

void TestGatewayControl::missingIfMatchGives428()
{
    const auto reply =
        mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 40})", QByteArray());
    verifyProblem(reply, 428, QStringLiteral("precondition-required"));
    QCOMPARE(rollout().at("revision").get<int>(), 1);
}

void TestGatewayControl::unauthorized_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::newRow("none") << QByteArray();
    QTest::newRow("wrong-token") << bytes("Bearer not-the-token");
    QTest::newRow("basic") << bytes("Basic dXNlcjpwYXNz");
    QTest::newRow("empty-bearer") << bytes("Bearer ");
}

void TestGatewayControl::unauthorized()
{
    QFETCH(QByteArray, authorization);
    HttpHeaders headers{{"Content-Type", "application/json"}};
    if (!authorization.isNull())
        headers.push_back({"Authorization", authorization});
    // Authorization is checked first: no If-Match here, still 401 and not 428.
    const auto reply =
        m_http->send({"PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 50})", headers});
    verifyProblem(reply, 401, QStringLiteral("unauthorized"));
    QCOMPARE(reply.header("WWW-Authenticate"), bytes("Bearer realm=\"canary\""));
    QCOMPARE(rollout().at("revision").get<int>(), 1);
}

void TestGatewayControl::badRequests_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("slug");

    const QString weights = QStringLiteral("/v1/rollout/weights");
    const QString canary = QStringLiteral("/v1/rollout/canary");
    const QByteArray jsonType = "application/json";
    QTest::newRow("malformed-json") << bytes("PUT") << weights << jsonType << bytes("{\"canary\": ")
                                    << 400 << "malformed-request";
    QTest::newRow("string-weight") << bytes("PUT") << weights << jsonType
                                   << bytes(R"({"canary": "10"})") << 400 << "malformed-request";
    QTest::newRow("unknown-field")
        << bytes("PUT") << weights << jsonType << bytes(R"({"canary": 10, "production": 90})")
        << 400 << "malformed-request";
    QTest::newRow("missing-field")
        << bytes("PUT") << weights << jsonType << bytes("{}") << 400 << "malformed-request";
    QTest::newRow("array-body") << bytes("PUT") << weights << jsonType << bytes("[10]") << 400
                                << "malformed-request";
    QTest::newRow("over-100") << bytes("PUT") << weights << jsonType
                              << bytes(R"({"canary": 100.1})") << 400 << "malformed-request";
    QTest::newRow("negative") << bytes("PUT") << weights << jsonType << bytes(R"({"canary": -1})")
                              << 400 << "malformed-request";
    QTest::newRow("finer-than-0.1") << bytes("PUT") << weights << jsonType
                                    << bytes(R"({"canary": 12.55})") << 400 << "malformed-request";
    QTest::newRow("too-large") << bytes("PUT") << weights << jsonType
                               << QByteArray(R"({"canary": 10, "pad": ")") +
                                      QByteArray(70 * 1024, 'x') + QByteArray("\"}")
                               << 413 << "payload-too-large";
    QTest::newRow("text-plain") << bytes("PUT") << weights << bytes("text/plain")
                                << bytes(R"({"canary": 10})") << 415 << "unsupported-media-type";
    QTest::newRow("form") << bytes("PUT") << weights << bytes("application/x-www-form-urlencoded")
                          << bytes("canary=10") << 415 << "unsupported-media-type";
    QTest::newRow("promote-with-args")
        << bytes("POST") << QStringLiteral("/v1/rollout/promote") << jsonType
        << bytes(R"({"force": true})") << 400 << "malformed-request";
    QTest::newRow("canary-no-version") << bytes("PUT") << canary << jsonType
                                       << bytes(R"({"model": "m"})") << 400 << "malformed-request";
    QTest::newRow("canary-long-model")
        << bytes("PUT") << canary << jsonType
        << QByteArray(R"({"model": ")") + QByteArray(129, 'm') + QByteArray(R"(", "version": "1"})")
        << 400 << "malformed-request";
    QTest::newRow("canary-bad-simulate")
        << bytes("PUT") << canary << jsonType
        << bytes(R"({"model": "m", "version": "9", "simulate": {"error_rate": 2}})") << 400
        << "malformed-request";
    QTest::newRow("canary-bad-upstream")
        << bytes("PUT") << canary << jsonType
        << bytes("{\"model\": \"m\", \"version\": \"9\", \"upstream\": \"https://x/\"}") << 400
        << "malformed-request";
    // 20,000 levels (40 KB) overflowed the stack of a debug build; refused at level 65 now.
    QTest::newRow("nested-20000-deep")
        << bytes("PUT") << canary << jsonType
        << QByteArray(R"({"model": "m", "version": "9", "simulate": )") + QByteArray(20'000, '[') +
               QByteArray(20'000, ']') + QByteArray("}")
        << 400 << "malformed-request";
    QTest::newRow("duplicate-key")
        << bytes("PUT") << weights << jsonType << bytes(R"({"canary": 10, "canary": 90})") << 400
        << "malformed-request";
    QTest::newRow("number-overflow") << bytes("PUT") << weights << jsonType
                                     << bytes(R"({"canary": 1e999})") << 400 << "malformed-request";
}

void TestGatewayControl::badRequests()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, slug);
    const auto before = rollout();
    const HttpHeaders headers{{"Authorization", "Bearer " + m_gateway->token()},
                              {"If-Match", "*"},
                              {"Content-Type", contentType}};
    const auto reply = m_http->send({method, path, body, headers});
    verifyProblem(reply, status, slug);
    QVERIFY(sameJson(rollout(), before)); // nothing half-applied
}

void TestGatewayControl::notFoundAndMethodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("allow");

    QTest::newRow("unknown-path") << bytes("GET") << QStringLiteral("/v1/nothing") << 404
                                  << QByteArray();
    QTest::newRow("trailing-slash")
        << bytes("GET") << QStringLiteral("/v1/rollout/") << 404 << QByteArray();
    QTest::newRow("delete-rollout")
        << bytes("DELETE") << QStringLiteral("/v1/rollout") << 405 << bytes("GET");
    QTest::newRow("get-weights") << bytes("GET") << QStringLiteral("/v1/rollout/weights") << 405
                                 << bytes("PUT");
    QTest::newRow("put-promote") << bytes("PUT") << QStringLiteral("/v1/rollout/promote") << 405
                                 << bytes("POST");
    QTest::newRow("get-predict") << bytes("GET") << QStringLiteral("/v1/predict") << 405
                                 << bytes("POST");
    QTest::newRow("post-metrics") << bytes("POST") << QStringLiteral("/metrics") << 405
                                  << bytes("GET");
}

void TestGatewayControl::notFoundAndMethodNotAllowed()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QByteArray, allow);
    const auto reply = m_http->send(
        {method, path, {}, {{"Authorization", "Bearer " + m_gateway->token()}, {"If-Match", "*"}}});
    verifyProblem(reply, status,
                  status == 404 ? QStringLiteral("not-found")
                                : QStringLiteral("method-not-allowed"));
    QCOMPARE(reply.header("Allow"), allow);
    QCOMPARE(rollout().at("revision").get<int>(), 1);
}

void TestGatewayControl::stateSurvivesNothingButRestart()
{
    // The gateway keeps its state in memory: a restart on the same port starts from the config.
    QCOMPARE(mutate("PUT", QStringLiteral("/v1/rollout/weights"), R"({"canary": 50})", "*").status,
             200);
    QCOMPARE(rollout().at("revision").get<int>(), 2);
    const auto port = m_gateway->port();
    QVERIFY2(m_gateway->restart(), qPrintable(m_gateway->error()));
    QCOMPARE(m_gateway->port(), port);
    const auto after = rollout();
    QCOMPARE(after.at("revision").get<int>(), 1);
    QCOMPARE(after.at("variants")[1].at("weight").get<double>(), 10.0);
}

QTEST_GUILESS_MAIN(TestGatewayControl)
#include "tst_gateway_control.moc"
