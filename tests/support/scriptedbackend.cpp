#include "scriptedbackend.h"

#include <QTcpSocket>

#include <memory>

QByteArray ScriptedRequest::header(const QByteArray &lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return {};
}

ScriptedReply ScriptedReply::json(int status, const QByteArray &body)
{
    return text(status, "application/json", body);
}

ScriptedReply ScriptedReply::text(int status, const QByteArray &contentType, const QByteArray &body)
{
    ScriptedReply reply;
    reply.status = status;
    reply.contentType = contentType;
    reply.body = body;
    return reply;
}

QByteArray ScriptedReply::serialise() const
{
    if (!raw.isEmpty())
        return raw;
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + " Scripted\r\n";
    if (!contentType.isEmpty())
        out += "Content-Type: " + contentType + "\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    return out + body;
}

ScriptedBackend::ScriptedBackend(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const QByteArray head = buffer->left(end);
                qsizetype length = 0;
                for (const QByteArray &line : head.split('\n')) {
                    const QByteArray trimmed = line.trimmed();
                    if (trimmed.toLower().startsWith("content-length:"))
                        length = trimmed.mid(15).trimmed().toLongLong();
                }
                if (buffer->size() < end + 4 + length)
                    return; // the body is still arriving
                const QByteArray body = buffer->mid(end + 4, length);
                buffer->clear();
                serve(socket, head, body);
            });
        }
    });
    listen();
}

bool ScriptedBackend::listen()
{
    if (m_server.isListening())
        return true;
    if (!m_server.listen(QHostAddress::LocalHost, m_port))
        return false;
    m_port = m_server.serverPort();
    return true;
}

void ScriptedBackend::close()
{
    m_server.close();
}

std::string ScriptedBackend::url() const
{
    return "http://127.0.0.1:" + std::to_string(m_port);
}

void ScriptedBackend::answer(const QByteArray &method, const QByteArray &path, ScriptedReply reply)
{
    m_fixed.insert(method + ' ' + path, std::move(reply));
}

void ScriptedBackend::answerRaw(const QByteArray &path, QByteArray raw)
{
    ScriptedReply reply;
    reply.raw = std::move(raw);
    answer("GET", path, std::move(reply));
}

void ScriptedBackend::handle(const QByteArray &path, Handler handler)
{
    m_handlers.insert(path, std::move(handler));
}

void ScriptedBackend::silence(const QByteArray &path)
{
    m_handlers.remove(path);
    for (auto it = m_fixed.begin(); it != m_fixed.end();) {
        if (it.key().endsWith(' ' + path))
            it = m_fixed.erase(it);
        else
            ++it;
    }
}

std::optional<ScriptedReply> ScriptedBackend::replyFor(const ScriptedRequest &request) const
{
    if (auto handler = m_handlers.find(request.path); handler != m_handlers.end())
        return (*handler)(request);
    if (auto fixed = m_fixed.find(request.method + ' ' + request.path); fixed != m_fixed.end())
        return *fixed;
    return std::nullopt;
}

void ScriptedBackend::serve(QTcpSocket *socket, const QByteArray &head, const QByteArray &body)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    ScriptedRequest request;
    request.method = requestLine.value(0);
    const QByteArray target = requestLine.value(1);
    const qsizetype question = target.indexOf('?');
    request.path = question < 0 ? target : target.left(question);
    request.query = question < 0 ? QByteArray() : target.mid(question + 1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            request.headers.append(
                {line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    request.body = body;
    ++m_counts[request.path];
    m_log.push_back(request);
    const std::optional<ScriptedReply> reply = replyFor(request);
    if (!reply)
        return; // silence
    socket->write(reply->serialise());
    socket->disconnectFromHost();
}
