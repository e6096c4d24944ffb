#pragma once

#include "backends/controlapi/controlclient.h"
#include "backends/httptransport.h"
#include "metrics/exposition.h"

#include <nlohmann/json.hpp>

#include <QObject>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace canary::ctl {

// What one conformance check found: `detail` says what was seen when it passed, and what was
// expected and what came when it failed.
struct CheckOutcome
{
    std::string name;
    bool passed = false;
    std::string detail;
};

// The problems of a rollout document (docs/control-api.md 2.1), sorted by the check that reports
// them. Each list is empty when that aspect conforms.
struct DocumentProblems
{
    std::vector<std::string> shape;   // members, types, names, model/version text, revision, time
    std::vector<std::string> weights; // range, 0.1 grid, the two adding up to 100
    std::vector<std::string> state;   // the state against the variants listed

    bool none() const { return shape.empty() && weights.empty() && state.empty(); }
    std::string summary() const; // all problems in one line
};
DocumentProblems inspectRolloutDocument(const nlohmann::json &document);

// The problems of a metrics exposition for the console (docs/control-api.md 5): the metric
// families it reads (metrics::names), their types, and the variant and version labels.
struct MetricsProblems
{
    std::vector<std::string> families;
    std::vector<std::string> labels;
    int series = 0; // samples of the console's metrics that were looked at
};
MetricsProblems inspectMetrics(const metrics::Exposition &exposition);

// A path no Control API backend serves; check-backend expects a problem+json 404 there.
inline constexpr const char *kMissingPath = "/v1/check-backend-no-such-resource";

// `canaryctl check-backend`: checks a backend against the Control API v1, the way a team that
// implements it would want to hear about every deviation. Read-only unless `mutating` is set;
// mutating checks change the rollout (stage, ramp, roll back, promote) and restore what they can.
class BackendCheck final : public QObject
{
public:
    struct Settings
    {
        ControlEndpoint endpoint;
        std::string metricsUrl;
        bool mutating = false;
        // Extra members of the test canary's stage body (serving settings), from --spec.
        nlohmann::json stageSettings = nlohmann::json::object();
    };
    // Called for every check as soon as it has run, and for notes (what was restored).
    using OnCheck = std::function<void(const CheckOutcome &)>;
    using OnNote = std::function<void(const std::string &)>;

    BackendCheck(HttpTransport *transport, Settings settings, OnCheck onCheck, OnNote onNote);

    enum class Verdict { Conforms, Deviates, Unreachable };
    Verdict run();
    int checks() const { return m_checks; }
    int failures() const { return m_failures; }

private:
    struct Answer
    {
        HttpResponse response;
        nlohmann::json json; // discarded when the body is not JSON
        bool is(long status) const { return response.answered() && response.status == status; }
    };
    struct Call
    {
        const char *method = "GET";
        std::string path;
        std::string body;
        std::optional<std::string> ifMatch;
        std::optional<std::string> token; // nullopt: no Authorization header
        std::string contentType = "application/json";
        std::string accept = "application/json, application/problem+json";
    };

    Answer send(const Call &call);
    Answer sendToUrl(const Call &call, const std::string &url);
    std::optional<nlohmann::json> readDocument(std::string *why);
    void record(const std::string &name, bool passed, const std::string &detail);

    // Read-only checks; return false when the backend did not answer at all.
    bool checkDocument();
    void checkProblemDocument();
    void checkMetrics();

    // Mutating checks, in the order they run; each works from the state the previous left.
    void runMutating();
    void checkRefusals();
    bool stageTestCanary(const char *name);
    void rampWeight();
    void repeatWeight();
    void staleRevision();
    void rollbackAndRepeat();
    void conflict(const char *name, const char *method, const std::string &path,
                  const std::string &body);
    void promoteAndRepeat();
    void repeatIsIdempotent(const std::string &action, const nlohmann::json &after);
    void restore(const nlohmann::json &original);
    // Sets the canary to 0 % when it holds traffic, so that a canary can be staged.
    bool freeCanarySlot(std::string *why);
    std::int64_t currentRevision() const;

    // A mutation with the current revision and the token, whose answer must be a conforming
    // rollout document; `why` says what was wrong otherwise.
    std::optional<nlohmann::json> apply(const char *method, const std::string &path,
                                        const std::string &body, std::string *why,
                                        std::optional<std::int64_t> revision = {});
    // Problems of a refusal: status, problem+json, and the rollout unchanged afterwards.
    std::string refusalProblems(const Answer &answer, long status, const nlohmann::json &before);

    HttpTransport *m_transport;
    Settings m_settings;
    OnCheck m_onCheck;
    OnNote m_onNote;
    nlohmann::json m_current; // the last rollout document the backend answered with
    std::string m_testModel;  // the canary that the mutating checks stage
    std::string m_testVersion;
    int m_checks = 0;
    int m_failures = 0;
};

} // namespace canary::ctl
