#pragma once

#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
    // AWS Signature Version 4, done by libcurl (CURLOPT_AWS_SIGV4): "aws:amz:REGION:SERVICE",
    // with the access key id and secret it signs with. Empty: the request is not signed. A
    // session token goes in an X-Amz-Security-Token header, which curl signs with the others.
    std::string awsSigV4;
    std::string awsAccessKeyId;
    std::string awsSecretAccessKey;
};

struct HttpResponse
{
    // What became of the request. Only Answered carries a status; a 4xx or 5xx is an answer.
    enum class Outcome {
        Answered, // an HTTP answer arrived, whatever its status
        NotSent,  // the request never left: connection refused, name not resolved, TLS setup
                  // failed, no connection within the timeout. Safe to send again.
        NoAnswer, // sent (or the connection was up), then no complete HTTP answer: timed out,
                  // reset, closed, or something that is not HTTP. A command may have been done.
        TooLarge, // an answer came but is larger than maxResponseBytes; it was dropped
    };

    Outcome outcome = Outcome::Answered;
    // Set for every outcome but Answered: a plain sentence saying what happened and where.
    std::string transportError;
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
    std::string body;

    bool answered() const { return outcome == Outcome::Answered && transportError.empty(); }
    // The first header of that (lower-case) name, or an empty string.
    std::string header(std::string_view lowerCaseName) const
    {
        for (const auto &[name, value] : headers) {
            if (name == lowerCaseName)
                return value;
        }
        return {};
    }
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

    // The outcome of a failed transfer and its sentence, from curl's result. `requestBytesSent`
    // tells a request that never left from one that went unanswered; `detail` is curl's own
    // message. Public so the wording can be checked without a network.
    static HttpResponse::Outcome classify(int curlCode, long requestBytesSent, bool tooLarge);
    static std::string describe(HttpResponse::Outcome outcome, int curlCode,
                                const HttpRequest &request, const std::string &detail);

private:
    struct Worker;
    std::unique_ptr<Worker> m_worker;
};

} // namespace canary
