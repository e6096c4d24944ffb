// The Control API client against hand-made HTTP answers: each row is one answer a backend might
// give, good or hostile, served by a real loopback socket so the whole libcurl path runs.
#include "backends/controlclient.h"
#include "backends/httptransport.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace canary;

namespace {

const char *kState = R"({"revision":3,"state":"canary","updated_at":"2026-11-26T12:00:00.000Z",)"
                     R"("variants":[{"name":"production","model":"m","version":"1","weight":75},)"
                     R"({"name":"canary","model":"m","version":"2","weight":25}]})";

// Answers every connection with one canned HTTP response (or none at all) and records the request.
class CannedServer final : public QObject
{
public:
    explicit CannedServer(QByteArray answer)
        : m_answer(std::move(answer))
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    m_request += socket->readAll();
                    if (!m_request.contains("\r\n\r\n") || m_answer.isEmpty())
                        return; // headers incomplete, or the row wants silence
                    socket->write(m_answer);
                    socket->disconnectFromHost();
                });
            }
        });
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_server.serverPort()); }
    const QByteArray &request() const { return m_request; }

private:
    QTcpServer m_server;
    QByteArray m_answer;
    QByteArray m_request;
};

QByteArray httpAnswer(int status, const QByteArray &contentType, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

} // namespace

class TestControlClient final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void answers_data();
    void answers();
    void sendsTokenAndRevision();
    void unreachable();
    void timeout();
    void oversizedAnswer();
    void droppedWhenContextGone();
};

void TestControlClient::answers_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("messageFragment");

    using K = ControlError::Kind;
    QTest::newRow("ok") << httpAnswer(200, "application/json", kState) << int(K::None) << "";
    QTest::newRow("not-json") << httpAnswer(200, "application/json", "<html>") << int(K::BadAnswer)
                              << "not JSON";
    QTest::newRow("wrong-shape") << httpAnswer(200, "application/json", R"({"revision":"x"})")
                                 << int(K::BadAnswer) << "revision";
    QTest::newRow("conflict")
        << httpAnswer(
               409, "application/problem+json",
               R"({"type":"urn:canary:problem:conflict","title":"Conflict","status":409,"detail":"no canary is staged"})")
        << int(K::Conflict) << "409 Conflict: no canary is staged";
    QTest::newRow("stale")
        << httpAnswer(
               412, "application/problem+json",
               QByteArray(
                   R"({"title":"Precondition Failed","detail":"revision 2 is stale","rollout":)") +
                   kState + "}")
        << int(K::StaleRevision) << "revision 2 is stale";
    QTest::newRow("unauthorized") << httpAnswer(
                                         401, "application/problem+json",
                                         R"({"title":"Unauthorized","detail":"missing token"})")
                                  << int(K::Unauthorized) << "401 Unauthorized: missing token";
    QTest::newRow("plain-500") << httpAnswer(500, "text/plain", "boom") << int(K::ServerError)
                               << "500 Internal Server Error: boom";
    QTest::newRow("garbage-status-line")
        << QByteArray("NOT HTTP AT ALL\r\n\r\n") << int(K::Unreachable) << "unreachable";
}

void TestControlClient::answers()
{
    QFETCH(QByteArray, answer);
    QFETCH(int, kind);
    QFETCH(QString, messageFragment);

    CannedServer server(answer);
    HttpTransport transport;
    ControlClient client(&transport, {server.url(), "t0k3n"});
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);

    QCOMPARE(int(result->error.kind), kind);
    QVERIFY2(QString::fromStdString(result->error.message()).contains(messageFragment),
             result->error.message().c_str());
    if (kind == int(ControlError::Kind::None)) {
        QVERIFY(result->state);
        QCOMPARE(result->state->revision, 3);
        QCOMPARE(result->state->canaryWeight().tenths(), 250);
    } else {
        QVERIFY(!result->state);
    }
    if (kind == int(ControlError::Kind::StaleRevision)) {
        QVERIFY(result->error.current);
        QCOMPARE(result->error.current->revision, 3);
    }
}

void TestControlClient::sendsTokenAndRevision()
{
    CannedServer server(httpAnswer(200, "application/json", kState));
    HttpTransport transport;
    ControlClient client(&transport, {server.url(), "s3cret"});
    std::optional<ControlResult> result;
    client.setCanaryWeight(Weight::fromTenths(125), 3, this,
                           [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    const QByteArray request = server.request();
    QVERIFY2(request.startsWith("PUT /v1/rollout/weights HTTP/1.1"), request.constData());
    QVERIFY(request.contains("Authorization: Bearer s3cret\r\n"));
    QVERIFY(request.contains("If-Match: \"3\"\r\n"));
    QVERIFY(request.contains("Content-Type: application/json\r\n"));
    QVERIFY(request.endsWith(R"({"canary":12.5})"));
}

void TestControlClient::unreachable()
{
    // A port that was free a moment ago: nothing listens there.
    quint16 port;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    HttpTransport transport;
    ControlClient client(&transport, {"http://127.0.0.1:" + std::to_string(port), ""});
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QCOMPARE(result->error.kind, ControlError::Kind::Unreachable);
}

void TestControlClient::timeout()
{
    CannedServer silent({}); // accepts, reads, never answers
    HttpTransport transport;
    ControlEndpoint endpoint{silent.url(), ""};
    endpoint.timeout = std::chrono::milliseconds(300);
    ControlClient client(&transport, endpoint);
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QCOMPARE(result->error.kind, ControlError::Kind::Unreachable);
    QVERIFY2(QString::fromStdString(result->error.detail).contains(QStringLiteral("imeout")) ||
                 QString::fromStdString(result->error.detail).contains(QStringLiteral("timed out")),
             result->error.detail.c_str());
}

void TestControlClient::oversizedAnswer()
{
    CannedServer server(httpAnswer(200, "application/json", QByteArray(2 * 1024 * 1024, ' ')));
    HttpTransport transport;
    ControlClient client(&transport, {server.url(), ""});
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QCOMPARE(result->error.kind, ControlError::Kind::Unreachable);
    QVERIFY(QString::fromStdString(result->error.detail).contains(QStringLiteral("larger than")));
}

void TestControlClient::droppedWhenContextGone()
{
    CannedServer server(httpAnswer(200, "application/json", kState));
    HttpTransport transport;
    ControlClient client(&transport, {server.url(), ""});
    bool called = false;
    auto context = std::make_unique<QObject>();
    client.fetchState(context.get(), [&](ControlResult) { called = true; });
    context.reset();
    // A second request on a live context proves the first one's answer has been processed too.
    bool second = false;
    client.fetchState(this, [&](ControlResult) { second = true; });
    QTRY_VERIFY_WITH_TIMEOUT(second, 10000);
    QVERIFY(!called);
}

QTEST_GUILESS_MAIN(TestControlClient)
#include "tst_controlclient.moc"
