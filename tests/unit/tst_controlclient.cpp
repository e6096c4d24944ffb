// The Control API client against hand-made HTTP answers: each row is one answer a backend might
// give, good or hostile, served by a real loopback socket so the whole libcurl path runs.
#include "backends/controlapi/controlclient.h"
#include "backends/httptransport.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace canary;

namespace {

const char *kState = R"({"revision":3,"state":"canary","updated_at":"2026-11-26T12:00:00.000Z",)"
                     R"("variants":[{"name":"production","model":"m","version":"1","weight":75},)"
                     R"({"name":"canary","model":"m","version":"2","weight":25}]})";

// Answers every connection with one canned HTTP response (or none at all) and records the request.
class CannedServer final : public QObject
{
public:
    enum class Mode { Answer, CloseWithoutAnswer };
    explicit CannedServer(QByteArray answer, Mode mode = Mode::Answer)
        : m_answer(std::move(answer))
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this, mode] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket, mode] {
                    m_request += socket->readAll();
                    if (mode == Mode::CloseWithoutAnswer && m_request.contains("\r\n\r\n")) {
                        socket->disconnectFromHost(); // read the request, then hang up
                        return;
                    }
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
    void keepsTheBodyAsSent();
    void unreachable();
    void timeout();
    void requestSent_data();
    void requestSent();
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
    // 100,000 nested arrays (200 KB, under the answer limit): refused while parsing, so the
    // stack never holds them.
    QTest::newRow("nested-100000")
        << httpAnswer(200, "application/json", QByteArray(100'000, '[') + QByteArray(100'000, ']'))
        << int(K::BadAnswer) << "nested deeper than 64 levels";
    QTest::newRow("nested-problem")
        << httpAnswer(409, "application/problem+json",
                      QByteArray(R"({"title":"x","rollout":)") + QByteArray(50'000, '[') +
                          QByteArray(50'000, ']') + "}")
        << int(K::Conflict) << "409 Conflict";
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

void TestControlClient::keepsTheBodyAsSent()
{
    // Extra members, another key order and whitespace: the parsed state is the same, and the body
    // is kept byte for byte for output that shows the document as it came.
    const QByteArray body = "{ \"variants\":[{\"weight\":100,\"version\":\"1\",\"name\":"
                            "\"production\",\"model\":\"m\",\"gpu\":\"a100\"}],\n"
                            "  \"state\":\"stable\",\"x-extra\":{\"a\":[1,2]},\"revision\":3,"
                            "\"updated_at\":\"2026-11-26T12:00:00.000Z\"}\n";
    for (const auto &[status, type] :
         {std::pair{200, "application/json"}, std::pair{409, "application/problem+json"}}) {
        CannedServer server(httpAnswer(status, type, body));
        HttpTransport transport;
        ControlClient client(&transport, {server.url(), ""});
        std::optional<ControlResult> result;
        client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
        QCOMPARE(QByteArray::fromStdString(result->body), body);
        QCOMPARE(result->state.has_value(), status == 200);
    }
}

namespace {

quint16 freePort()
{
    // A port that was free a moment ago: nothing listens there.
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

} // namespace

void TestControlClient::unreachable()
{
    const quint16 port = freePort();
    QVERIFY(port != 0);
    HttpTransport transport;
    ControlClient client(&transport, {"http://127.0.0.1:" + std::to_string(port), ""});
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QCOMPARE(result->error.kind, ControlError::Kind::Unreachable);
    QVERIFY(result->body.empty());
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

void TestControlClient::requestSent_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<bool>("sent");
    QTest::addColumn<QString>("message");

    // Refused: nothing left this machine, so nothing can have been applied.
    QTest::newRow("refused") << "refused" << false << "backend unreachable: Could not connect to ";
    // Sent, then silence or a hang-up: it may have arrived.
    QTest::newRow("silent") << "silent" << true << "backend unreachable: ";
    QTest::newRow("hangs-up") << "hangs-up" << true << "backend unreachable: ";
}

void TestControlClient::requestSent()
{
    QFETCH(QString, backend);
    QFETCH(bool, sent);
    QFETCH(QString, message);

    std::unique_ptr<CannedServer> server;
    std::string url;
    if (backend == QStringLiteral("refused")) {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        url = "http://127.0.0.1:" + std::to_string(port);
    } else {
        server = std::make_unique<CannedServer>(QByteArray(),
                                                backend == QStringLiteral("hangs-up")
                                                    ? CannedServer::Mode::CloseWithoutAnswer
                                                    : CannedServer::Mode::Answer);
        url = server->url();
    }
    HttpTransport transport;
    ControlEndpoint endpoint{url, "t0k3n"};
    endpoint.timeout = std::chrono::milliseconds(500);
    ControlClient client(&transport, endpoint);
    std::optional<ControlResult> result;
    client.promote(7, this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QCOMPARE(result->error.kind, ControlError::Kind::Unreachable);
    QCOMPARE(result->error.requestSent, sent);
    const QString text = QString::fromStdString(result->error.message());
    QVERIFY2(text.startsWith(message), qPrintable(text));
    if (server)
        QTRY_VERIFY_WITH_TIMEOUT(server->request().startsWith("POST /v1/rollout/promote"), 5000);
}

void TestControlClient::oversizedAnswer()
{
    CannedServer server(httpAnswer(200, "application/json", QByteArray(2 * 1024 * 1024, ' ')));
    HttpTransport transport;
    ControlClient client(&transport, {server.url(), ""});
    std::optional<ControlResult> result;
    client.fetchState(this, [&](ControlResult r) { result = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    // An answer came: it is not "unreachable", and the action (if it was one) did arrive.
    QCOMPARE(result->error.kind, ControlError::Kind::BadAnswer);
    QCOMPARE(result->error.answerLimitBytes, ControlClient::kMaxAnswerBytes);
    // The transport's sentence: where the answer came from and the limit.
    const QString message = QString::fromStdString(result->error.message());
    QVERIFY2(message.contains(QStringLiteral("is larger than 1048576 bytes")) &&
                 message.contains(
                     QString::fromStdString(server.url()).remove(QStringLiteral("http://"))),
             qPrintable(message));
    QVERIFY(!result->state);
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
