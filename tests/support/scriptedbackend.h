#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTcpServer>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// One request as the scripted backend received it.
struct ScriptedRequest
{
    QByteArray method;
    QByteArray path; // without the query
    QByteArray query;
    QList<std::pair<QByteArray, QByteArray>> headers; // names in lower case
    QByteArray body;

    QByteArray header(const QByteArray &lowerCaseName) const;
};

// One answer; raw bytes win over the structured fields (for answers that bend HTTP itself).
struct ScriptedReply
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray raw; // when set, written byte for byte instead

    static ScriptedReply json(int status, const QByteArray &body);
    static ScriptedReply text(int status, const QByteArray &contentType, const QByteArray &body);
    QByteArray serialise() const;
};

// A hand-made HTTP backend on 127.0.0.1 (a free port) for tests of what the console and canaryctl
// do with servers that bend the spec, answer garbage or fall silent. Each (method, path) gets a
// fixed reply or a handler; anything without one gets silence, so the client's timeout must end it.
// Every request is recorded. Needs a running Qt event loop (QTRY_*, QSignalSpy::wait, exec()).
class ScriptedBackend final : public QObject
{
public:
    using Handler = std::function<std::optional<ScriptedReply>(const ScriptedRequest &)>;

    explicit ScriptedBackend(QObject *parent = nullptr);

    bool isListening() const { return m_server.isListening(); }
    std::string url() const;
    quint16 port() const { return m_server.serverPort(); }

    // A fixed reply to every `method` request on `path` ("GET", "/v1/rollout").
    void answer(const QByteArray &method, const QByteArray &path, ScriptedReply reply);
    // A GET answer as raw bytes (status line, headers and body as given).
    void answerRaw(const QByteArray &path, QByteArray raw);
    // A handler for every request on `path` (any method); nullopt means silence.
    void handle(const QByteArray &path, Handler handler);
    // Forget the reply or handler for `path`: silence from now on.
    void silence(const QByteArray &path);
    // Close the listening socket (the backend "dies"); listen() again on the same port.
    void close();
    bool listen();

    int requests(const QByteArray &path) const { return m_counts.value(path); }
    const std::vector<ScriptedRequest> &log() const { return m_log; }

private:
    void serve(class QTcpSocket *socket, const QByteArray &head, const QByteArray &body);
    std::optional<ScriptedReply> replyFor(const ScriptedRequest &request) const;

    QTcpServer m_server;
    quint16 m_port = 0;
    QHash<QByteArray, ScriptedReply> m_fixed; // key: method + ' ' + path
    QHash<QByteArray, Handler> m_handlers;    // key: path
    QHash<QByteArray, int> m_counts;
    std::vector<ScriptedRequest> m_log;
};
