#pragma once

#include "backends/controlapi/controlclient.h"
#include "backends/httptransport.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdio>

namespace canary::ctl {

// Documented in `canaryctl --help` and docs/canaryctl.md.
enum ExitCode : int {
    kOk = 0,
    kLintFailed = 1,   // metrics-lint found problems
    kCheckFailed = 1,  // check-backend found deviations from the Control API
    kUsage = 2,        // bad arguments, unreadable file, missing token or confirmation
    kUnreachable = 3,  // no answer, a malformed answer, or a 5xx from the backend
    kRefused = 4,      // the backend refused: 401, 409, 412, other 4xx
    kNotConfirmed = 5, // the operator answered no
};

struct Options
{
    ControlEndpoint endpoint;
    std::string metricsUrl; // defaults to <url>/metrics
    bool json = false;
    bool yes = false;
    bool openMetrics = false;
    std::chrono::milliseconds interval{1000};
    int count = 0;         // watch: stop after this many tables; 0 = until interrupted
    bool mutating = false; // check-backend: also check changes (a backend meant for testing)
};

// The commands of canaryctl. Each runs to completion (spinning a local event loop for the network)
// and returns the process exit code; output goes to the given streams.
class Commands final : public QObject
{
    Q_OBJECT

public:
    Commands(Options options, std::FILE *out, std::FILE *err);

    int status();
    int setWeight(const QString &percent);
    int promote();
    int rollback();
    int stage(const QString &model, const QString &version, const QString &specFile);
    int watch();
    int metricsLint(const QString &file);
    int checkBackend(const QString &specFile);

private:
    ControlResult await(const std::function<void(ControlClient::Callback)> &start);
    int fail(const ControlError &error);
    int needToken();
    // Reads a JSON object from `path` (stage --spec, check-backend --spec); nullopt after saying
    // why.
    std::optional<nlohmann::json> readSpec(const QString &path);
    bool confirm(const std::string &question);
    void printState(const RolloutState &state);
    void printRawJson(const ControlResult &result);
    int finishAction(const ControlResult &result, const char *done);

    // What to ask before acting (nullptr: no confirmation), and how to send the action.
    using Question = std::function<std::string(const RolloutState &)>;
    using Send = std::function<void(std::int64_t revision, ControlClient::Callback)>;
    int mutate(const char *command, const Question &question, const Send &send,
               const std::string &done);

    Options m_options;
    std::FILE *m_out;
    std::FILE *m_err;
    HttpTransport m_transport;
    ControlClient m_client;
};

} // namespace canary::ctl
