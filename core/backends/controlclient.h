#pragma once

#include "domain/rolloutstate.h"
#include "httptransport.h"

#include <nlohmann/json.hpp>

#include <QObject>

#include <optional>
#include <string>

namespace canary {

// Why a Control API call did not succeed, in words an operator can act on.
struct ControlError
{
    enum class Kind {
        None,
        Unreachable,   // no HTTP answer: refused, timed out, TLS (see requestSent)
        BadAnswer,     // an answer that is not a valid Control API document, or too large
        Unauthorized,  // 401/403
        Conflict,      // 409: the action does not fit the rollout's state
        StaleRevision, // 412: someone else changed the rollout; `current` holds the new state
        Rejected,      // any other 4xx: the request was refused
        ServerError,   // 5xx
    };

    Kind kind = Kind::None;
    long httpStatus = 0;
    std::string title;  // from problem+json, when there is one
    std::string detail; // from problem+json, or the transport's error
    std::optional<RolloutState> current;
    // False only when the request certainly never left this machine (the connection was refused,
    // the host not found): then nothing can have been applied. True whenever it may have arrived,
    // so "not known whether the action arrived" is said only when it is true.
    bool requestSent = true;
    // Set when the answer was cut off for being larger than this many bytes (kind BadAnswer).
    std::size_t answerLimitBytes = 0;

    explicit operator bool() const { return kind != Kind::None; }
    // One line: "409 Conflict: no canary is staged".
    std::string message() const;
};

struct ControlResult
{
    std::optional<RolloutState> state;
    ControlError error;
    // The answer's body exactly as the backend sent it (empty when no answer came), for output
    // that must show the document as it is, such as `canaryctl status --json`.
    std::string body;
};

struct ControlEndpoint
{
    std::string baseUrl; // e.g. http://127.0.0.1:8080 (no trailing /v1)
    std::string token;   // bearer token for mutations; may be empty for read-only use
    bool verifyTls = true;
    std::chrono::milliseconds timeout{5000};
};

// Client of the Canary Control API v1 (docs/control-api.md). Every call is asynchronous; the
// callback runs on the thread of `context` and is dropped if `context` is gone by then.
class ControlClient final : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(ControlResult)>;

    ControlClient(HttpTransport *transport, ControlEndpoint endpoint, QObject *parent = nullptr);

    const ControlEndpoint &endpoint() const { return m_endpoint; }

    void fetchState(QObject *context, Callback onDone);
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context, Callback onDone);
    void promote(std::int64_t revision, QObject *context, Callback onDone);
    void rollback(std::int64_t revision, QObject *context, Callback onDone);
    // `canary` holds model, version and whatever the backend needs to serve it.
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone);

    // Turns one HTTP answer into a result; public so it can be tested without a server.
    static ControlResult interpretAnswer(const HttpResponse &response);

    // The largest answer accepted; a larger one is a BadAnswer with answerLimitBytes set.
    static constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;

private:
    void send(const char *method, const char *path, std::optional<std::int64_t> revision,
              std::string body, QObject *context, Callback onDone);

    HttpTransport *m_transport;
    ControlEndpoint m_endpoint;
};

} // namespace canary
