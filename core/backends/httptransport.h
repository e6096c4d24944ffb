#pragma once

#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace canary {

struct HttpRequest
{
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{5000};
    bool verifyTls = true;
    std::size_t maxResponseBytes = 8 * 1024 * 1024;
};

struct HttpResponse
{
    // Set when no HTTP answer arrived (refused, timed out, TLS failure, answer too large). A 4xx or
    // 5xx is an answer, not a transport error: look at `status`.
    std::string transportError;
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
    std::string body;

    bool answered() const { return transportError.empty(); }
    // The first header of that (lower-case) name, or an empty string.
    std::string header(std::string_view lowerCaseName) const;
};

// Asynchronous HTTP on libcurl. One worker thread drives a curl multi handle; completions are
// delivered on the thread of the context object given to send(), so the GUI never waits on the
// network. Requests whose context is destroyed before completion are dropped silently.
class HttpTransport final : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(HttpResponse)>;

    explicit HttpTransport(QObject *parent = nullptr);
    ~HttpTransport() override;

    void send(HttpRequest request, QObject *context, Callback onDone);

    // Versions of the libraries behind the transport, for --version and About dialogs.
    static std::string curlVersion();

private:
    struct Worker;
    std::unique_ptr<Worker> m_worker;
};

} // namespace canary
