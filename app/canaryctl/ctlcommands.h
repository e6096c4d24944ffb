#pragma once

#include "backends/backendfactory.h"
#include "backends/controlplane.h"
#include "backends/httptransport.h"
#include "backends/metricssource.h"
#include "domain/rolloutrules.h"

#include <nlohmann/json_fwd.hpp>

#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace canary::audit {
class SqliteAuditStore;
}

namespace canary::ctl {

struct ReportRequest;

// Documented in `canaryctl --help` and docs/canaryctl.md.
enum ExitCode : int {
    kOk = 0,
    kLintFailed = 1,   // metrics-lint found problems
    kCheckFailed = 1,  // check-backend found deviations from the Control API
    kJudgeWorse = 1,   // judge: the canary is significantly worse
    kNotRecorded = 1,  // an action could not be written to the audit trail, so it was not sent
    kUsage = 2,        // bad arguments or URL, unreadable file, missing token or confirmation,
                       // a command the backend's kind cannot do
    kUnreachable = 3,  // no answer, a malformed answer, or a 5xx from the backend
    kRefused = 4,      // the backend refused: 401, 409, 412, other 4xx
    kNotConfirmed = 5, // the operator answered no
};

struct Options
{
    // --backend / --url, --metrics and the secrets and files that go with them.
    ConnectionProfile connection;
    bool json = false;
    bool yes = false;
    bool openMetrics = false;
    std::chrono::milliseconds interval{1000};
    int count = 0;         // watch: stop after this many rounds; 0 = until interrupted
    bool mutating = false; // check-backend: also check changes (a backend meant for testing)
    QString auditDatabase; // run and the actions: the audit trail file; empty: the console's
};

// The commands of canaryctl. Each runs to completion (spinning a local event loop for the network)
// and returns the process exit code; output goes to the given streams.
class Commands final : public QObject
{
    Q_OBJECT

public:
    Commands(Options options, std::FILE *out, std::FILE *err);
    ~Commands() override;

    // Builds the control plane and the metrics source from the connection (backendfactory.h).
    // Every command but metrics-lint needs it first. False on a bad URL or option, with the
    // factory's sentence in `error`.
    bool openBackends(std::string *error);

    int status();
    int setWeight(const QString &percent);
    int promote();
    int rollback();
    int stage(const QString &model, const QString &version, const QString &specFile);
    int watch();
    int metricsLint(const QString &file);
    int checkBackend(const QString &specFile);
    // `run --plan FILE`: exit codes of runcommand.h (0 promoted, 2 rolled back, 3 waiting, 1
    // error).
    int run(const QString &planFile);
    // `report` on a live backend (reportcommand.cpp): 0 written, 1 not written, 2 usage, 3 the
    // backend or its metrics unreachable.
    int report(const ReportRequest &request);

private:
    ControlResult await(const std::function<void(ControlPlane::Callback)> &start);
    int fail(const ControlError &error);
    int needToken();
    // Reads a JSON object from `path` (stage --spec, check-backend --spec); nullopt after saying
    // why.
    std::optional<nlohmann::json> readSpec(const QString &path);
    bool confirm(const std::string &question);
    void printState(const RolloutState &state);
    // `status --json` and the actions' --json: the backend's document byte for byte when it sent
    // one (the Control API), else the state in the Control API's shape.
    void printJson(const ControlResult &result);
    int finishAction(const ControlResult &result, const std::string &done);

    // What to ask before acting (nullptr: no confirmation), how to send the action, and what to
    // say once it is done (given the state the backend reports afterwards).
    using Question = std::function<std::string(const RolloutState &)>;
    using Send = std::function<void(std::int64_t revision, ControlPlane::Callback)>;
    using Done = std::function<std::string(const RolloutState &after)>;
    // Every action is written to the audit trail before it is sent (outcome pending) and
    // finished with what the backend answered; without a trail nothing is sent.
    int mutate(const char *command, Lever lever, const nlohmann::json &parameters,
               const Question &question, const Send &send, const Done &done);
    // The audit trail at --db, or the console's; null after `error` was set.
    std::unique_ptr<audit::SqliteAuditStore> openAuditTrail(std::string *error) const;
    // What a confirmation adds for a backend that cannot detect a concurrent change; empty else.
    std::string concurrencyWarning() const;

    Options m_options;
    std::FILE *m_out;
    std::FILE *m_err;
    HttpTransport m_transport;
    Backends m_backends; // after the transport: destroyed before it
};

} // namespace canary::ctl
