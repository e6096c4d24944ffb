// What the transport says happened to a request, against real loopback sockets: a closed port,
// a backend that reads and stays silent, one that hangs up, one that answers too much.
#include "backends/httptransport.h"
#include "scriptedbackend.h"
#include "util/join.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <optional>

using namespace canary;
using Outcome = HttpResponse::Outcome;

Q_DECLARE_METATYPE(HttpResponse::Outcome)

namespace {

// Sends one request and waits for its completion on this thread.
std::optional<HttpResponse> roundTrip(HttpTransport &transport, HttpRequest request)
{
    QObject context;
    std::optional<HttpResponse> result;
    transport.send(std::move(request), &context,
                   [&result](HttpResponse response) { result = std::move(response); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 15'000))
        return std::nullopt;
    return result;
}

// A port on 127.0.0.1 that nothing listens on: bound once to learn a free one, then closed.
quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

} // namespace

class TestHttpTransport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void outcomes_data();
    void outcomes();
    void answeredErrorStatusIsAnAnswer();
    void wordingNamesTheBackendNotThePath();
};

void TestHttpTransport::outcomes_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<Outcome>("outcome");
    QTest::addColumn<QString>("says");

    QTest::newRow("closed-port") << QStringLiteral("closed") << Outcome::NotSent
                                 << QStringLiteral("the request was not sent.");
    QTest::newRow("not-http-at-all")
        << QStringLiteral("ftp") << Outcome::NotSent << QStringLiteral("cannot be used");
    QTest::newRow("reads-and-stays-silent")
        << QStringLiteral("silent") << Outcome::NoAnswer
        << QStringLiteral("did not answer: timed out after 400 ms.");
    QTest::newRow("hangs-up") << QStringLiteral("hangup") << Outcome::NoAnswer
                              << QStringLiteral("closed the connection without answering.");
    QTest::newRow("answers-garbage")
        << QStringLiteral("garbage") << Outcome::NoAnswer << QStringLiteral("is not HTTP");
    QTest::newRow("answer-over-the-limit")
        << QStringLiteral("large") << Outcome::TooLarge << QStringLiteral("larger than 1000 bytes");
    QTest::newRow("answer-at-the-limit")
        << QStringLiteral("limit") << Outcome::Answered << QString();
}

void TestHttpTransport::outcomes()
{
    QFETCH(QString, backend);
    QFETCH(Outcome, outcome);
    QFETCH(QString, says);

    ScriptedBackend server;
    QVERIFY(server.isListening());
    server.answer("GET", "/large", ScriptedReply::text(200, "text/plain", QByteArray(1001, 'x')));
    server.answer("GET", "/limit", ScriptedReply::text(200, "text/plain", QByteArray(1000, 'x')));
    server.answerRaw("/garbage", "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    // Reads the request, then hangs up without a word.
    QTcpServer hangUp;
    QVERIFY(hangUp.listen(QHostAddress::LocalHost));
    int hungUp = 0;
    connect(&hangUp, &QTcpServer::newConnection, this, [&hangUp, &hungUp] {
        QTcpSocket *socket = hangUp.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, &hungUp] {
            socket->readAll();
            ++hungUp;
            socket->disconnectFromHost();
        });
    });

    HttpRequest request;
    request.timeout = std::chrono::milliseconds(400);
    request.maxResponseBytes = 1000;
    const std::string path = backend == QStringLiteral("closed")
                                 ? std::string("/v1/rollout")
                                 : canary::join("/", backend.toStdString());
    std::string base = server.url();
    if (backend == QStringLiteral("closed"))
        base = "http://127.0.0.1:" + std::to_string(closedPort());
    else if (backend == QStringLiteral("ftp"))
        base = "ftp://127.0.0.1:" + std::to_string(server.port());
    else if (backend == QStringLiteral("hangup"))
        base = "http://127.0.0.1:" + std::to_string(hangUp.serverPort());
    request.url = base + path;

    HttpTransport transport;
    const auto response = roundTrip(transport, request);
    QVERIFY(response);
    QVERIFY2(response->outcome == outcome, response->transportError.c_str());
    QCOMPARE(response->answered(), outcome == Outcome::Answered);
    const QString sentence = QString::fromStdString(response->transportError);
    if (outcome == Outcome::Answered) {
        QVERIFY2(sentence.isEmpty(), qPrintable(sentence));
        QCOMPARE(response->status, 200L);
        QCOMPARE(response->body.size(), std::size_t(1000));
        return;
    }
    QVERIFY2(sentence.contains(says), qPrintable(sentence));
    // A sentence: capitalised, ends with a full stop, names where it went.
    QVERIFY2(sentence.front().isUpper() && sentence.endsWith(QLatin1Char('.')),
             qPrintable(sentence));
    QVERIFY2(sentence.contains(QStringLiteral("127.0.0.1:")), qPrintable(sentence));
    QCOMPARE(response->status, 0L);
    QVERIFY(response->body.empty()); // nothing half-read is passed on
    // It did arrive: that is what NoAnswer means.
    if (backend == QStringLiteral("silent"))
        QCOMPARE(server.requests("/silent"), 1);
    if (backend == QStringLiteral("hangup"))
        QVERIFY(hungUp >= 1);
}

void TestHttpTransport::answeredErrorStatusIsAnAnswer()
{
    ScriptedBackend server;
    server.answer("GET", "/v1/rollout", ScriptedReply::json(503, R"({"title":"busy"})"));
    HttpTransport transport;
    HttpRequest request;
    request.url = server.url() + "/v1/rollout";
    const auto response = roundTrip(transport, request);
    QVERIFY(response);
    QCOMPARE(response->outcome, Outcome::Answered);
    QVERIFY(response->answered());
    QVERIFY(response->transportError.empty());
    QCOMPARE(response->status, 503L);
}

void TestHttpTransport::wordingNamesTheBackendNotThePath()
{
    HttpRequest request;
    request.url = "https://user:secret@canary.example:8443/v1/rollout?token=abc";
    request.timeout = std::chrono::milliseconds(2500);
    for (const Outcome outcome : {Outcome::NotSent, Outcome::NoAnswer, Outcome::TooLarge}) {
        const std::string text = HttpTransport::describe(outcome, 28 /* timed out */, request, "x");
        QVERIFY2(text.find("canary.example:8443") != std::string::npos, text.c_str());
        QVERIFY2(text.find("secret") == std::string::npos, text.c_str());
        QVERIFY2(text.find("token=abc") == std::string::npos, text.c_str());
    }
    // A timeout before anything was written is a request that never left.
    QCOMPARE(HttpTransport::classify(28, 0, false), Outcome::NotSent);
    QCOMPARE(HttpTransport::classify(28, 120, false), Outcome::NoAnswer);
    QCOMPARE(HttpTransport::describe(Outcome::NotSent, 28, request, "x"),
             std::string("Timed out after 2500 ms without a connection to canary.example:8443; "
                         "the request was not sent."));
    QCOMPARE(HttpTransport::describe(Outcome::NoAnswer, 28, request, "x"),
             std::string("The request was sent, but canary.example:8443 did not answer: timed "
                         "out after 2500 ms."));
}

QTEST_GUILESS_MAIN(TestHttpTransport)
#include "tst_httptransport.moc"
