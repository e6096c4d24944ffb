#pragma once

#include <QObject>
#include <QString>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace canary {

// Where an HAProxy stats socket listens: a unix socket path or a TCP host and port.
struct HaproxyEndpoint
{
    enum class Transport { Unix, Tcp };

    Transport transport = Transport::Unix;
    std::string path; // Unix
    std::string host; // Tcp
    quint16 port = 0; // Tcp

    // "unix:///run/haproxy/admin.sock" or "tcp://127.0.0.1:9999", as errors name it.
    std::string display() const;
};

// One command's outcome.
struct RuntimeAnswer
{
    enum class Outcome {
        Answered, // HAProxy answered (which may be its refusal: see haproxy::refusalText)
        NotSent,  // no connection: nothing can have reached HAProxy
        NoAnswer, // sent, then the connection failed or the timeout passed: it may have applied
        TooLarge, // the answer grew beyond the limit and was not read
    };

    Outcome outcome = Outcome::NoAnswer;
    std::string text;  // the answer as HAProxy wrote it
    std::string error; // for anything but Answered: what happened, in a sentence fragment

    bool answered() const { return outcome == Outcome::Answered; }
};

// Client of HAProxy's runtime API (the "stats socket"). It speaks the non-interactive mode: one
// connection per command, the command and a newline, then HAProxy writes its answer and closes.
// So no state is shared between commands and a command can never be read as part of another's
// answer. Asynchronous, on the calling thread's event loop.
class HaproxyRuntime final : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(RuntimeAnswer)>;

    HaproxyRuntime(HaproxyEndpoint endpoint, std::chrono::milliseconds timeout,
                   QObject *parent = nullptr);

    const HaproxyEndpoint &endpoint() const { return m_endpoint; }
    std::chrono::milliseconds timeout() const { return m_timeout; }
    // The largest answer read; beyond it the command counts as TooLarge.
    void setMaxAnswerBytes(std::size_t bytes) { m_maxAnswerBytes = bytes; }
    std::size_t maxAnswerBytes() const { return m_maxAnswerBytes; }

    // Sends `command` (one line, no newline in it). onDone runs once on this client's thread (which
    // must be context's), and not at all when context or this client is destroyed first. The
    // timeout covers connecting, sending and reading.
    void send(const std::string &command, QObject *context, Callback onDone);

private:
    HaproxyEndpoint m_endpoint;
    std::chrono::milliseconds m_timeout;
    std::size_t m_maxAnswerBytes = 4 * 1024 * 1024;
};

} // namespace canary
