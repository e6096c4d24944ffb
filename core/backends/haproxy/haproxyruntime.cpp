#include "haproxyruntime.h"

#include <QLocalSocket>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace canary {

std::string HaproxyEndpoint::display() const
{
    if (transport == Transport::Unix)
        return "unix://" + path;
    return "tcp://" + host + ":" + std::to_string(port);
}

namespace {

// One command on one connection. It deletes itself once it has delivered (or lost) its answer.
class RuntimeExchange final : public QObject
{
public:
    RuntimeExchange(QIODevice *device, QByteArray command, std::size_t maxBytes, QObject *context,
                    HaproxyRuntime::Callback onDone)
        : m_device(device)
        , m_command(std::move(command))
        , m_maxBytes(maxBytes)
        , m_context(context)
        , m_onDone(std::move(onDone))
    {
        device->setParent(this);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            finish(m_sent ? RuntimeAnswer::Outcome::NoAnswer : RuntimeAnswer::Outcome::NotSent,
                   "no answer within " + std::to_string(m_timer.interval()) + " ms");
        });
        connect(device, &QIODevice::readyRead, this, [this] { readSome(); });
    }

    void start(std::chrono::milliseconds timeout) { m_timer.start(timeout); }

    void connected()
    {
        m_sent = true;
        m_device->write(m_command);
    }

    void readSome()
    {
        m_answer += m_device->readAll();
        if (static_cast<std::size_t>(m_answer.size()) > m_maxBytes)
            finish(RuntimeAnswer::Outcome::TooLarge,
                   "the answer was larger than " + std::to_string(m_maxBytes) + " bytes");
    }

    // HAProxy closes the connection once it has written the whole answer.
    void closed()
    {
        if (m_done)
            return;
        readSome();
        if (m_done)
            return;
        if (!m_sent)
            finish(RuntimeAnswer::Outcome::NotSent,
                   "the connection closed before the command was sent");
        else
            finish(RuntimeAnswer::Outcome::Answered, {});
    }

    void failed(const QString &why, bool beforeConnect)
    {
        if (m_done)
            return;
        // A peer that closes after answering is the normal end of an exchange, not a failure.
        if (!beforeConnect && m_sent && !m_answer.isEmpty()) {
            closed();
            return;
        }
        finish(beforeConnect ? RuntimeAnswer::Outcome::NotSent : RuntimeAnswer::Outcome::NoAnswer,
               why.toStdString());
    }

private:
    void finish(RuntimeAnswer::Outcome outcome, std::string error)
    {
        if (m_done)
            return;
        m_done = true;
        m_timer.stop();
        RuntimeAnswer answer;
        answer.outcome = outcome;
        answer.error = std::move(error);
        if (outcome == RuntimeAnswer::Outcome::Answered)
            answer.text = m_answer.toStdString();
        m_device->disconnect(this);
        m_device->close();
        // Delivered from the event loop, so that a caller's callback may start the next command
        // (or destroy the plane) without re-entering this one.
        QTimer::singleShot(0, this, [this, answer = std::move(answer)]() mutable {
            if (m_context)
                m_onDone(std::move(answer));
            deleteLater();
        });
    }

    QIODevice *m_device;
    QByteArray m_command;
    std::size_t m_maxBytes;
    QPointer<QObject> m_context;
    HaproxyRuntime::Callback m_onDone;
    QTimer m_timer;
    QByteArray m_answer;
    bool m_sent = false;
    bool m_done = false;
};

} // namespace

HaproxyRuntime::HaproxyRuntime(HaproxyEndpoint endpoint, std::chrono::milliseconds timeout,
                               QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_timeout(timeout)
{}

void HaproxyRuntime::send(const std::string &command, QObject *context, Callback onDone)
{
    const QByteArray line = QByteArray::fromStdString(command) + '\n';
    // The exchange belongs to this client, so that nothing is delivered once its owner is gone;
    // it also watches context and delivers nothing once that is gone.
    if (m_endpoint.transport == HaproxyEndpoint::Transport::Unix) {
        auto *socket = new QLocalSocket;
        auto *exchange =
            new RuntimeExchange(socket, line, m_maxAnswerBytes, context, std::move(onDone));
        exchange->setParent(this);
        connect(socket, &QLocalSocket::connected, exchange, [exchange] { exchange->connected(); });
        connect(socket, &QLocalSocket::disconnected, exchange, [exchange] { exchange->closed(); });
        connect(socket, &QLocalSocket::errorOccurred, exchange,
                [exchange, socket](QLocalSocket::LocalSocketError code) {
                    if (code == QLocalSocket::PeerClosedError) {
                        exchange->closed();
                        return;
                    }
                    const bool beforeConnect = code == QLocalSocket::ServerNotFoundError ||
                                               code == QLocalSocket::ConnectionRefusedError ||
                                               code == QLocalSocket::SocketAccessError;
                    exchange->failed(socket->errorString(), beforeConnect);
                });
        exchange->start(m_timeout);
        socket->connectToServer(QString::fromStdString(m_endpoint.path));
        return;
    }
    auto *socket = new QTcpSocket;
    auto *exchange =
        new RuntimeExchange(socket, line, m_maxAnswerBytes, context, std::move(onDone));
    exchange->setParent(this);
    connect(socket, &QTcpSocket::connected, exchange, [exchange] { exchange->connected(); });
    connect(socket, &QTcpSocket::disconnected, exchange, [exchange] { exchange->closed(); });
    connect(socket, &QTcpSocket::errorOccurred, exchange,
            [exchange, socket](QAbstractSocket::SocketError code) {
                if (code == QAbstractSocket::RemoteHostClosedError) {
                    exchange->closed();
                    return;
                }
                const bool beforeConnect = code == QAbstractSocket::ConnectionRefusedError ||
                                           code == QAbstractSocket::HostNotFoundError;
                exchange->failed(socket->errorString(), beforeConnect);
            });
    exchange->start(m_timeout);
    socket->connectToHost(QString::fromStdString(m_endpoint.host), m_endpoint.port);
}

} // namespace canary
