#pragma once

#include "domain/rolloutstate.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// The audit trail: every operator action and every automatic decision, with the numbers it was
// made on. docs/audit.md describes the record and the store.
namespace canary::audit {

// One action or decision. Written in two steps: begin() before the action is sent (outcome
// "pending"), finish() with what happened, so nothing acknowledged is ever missing from it.
struct AuditEntry
{
    std::int64_t id = 0; // assigned by begin()
    SystemTime time{};   // when it was asked for or decided (UTC)
    std::string actor;   // the OS user, or "auto" for a plan's decision
    std::string plan;    // the plan's name for automatic decisions (and manual ones during a plan)
    bool automatic = false;
    std::string backendKind;    // "Control API", "HAProxy", ...
    std::string backendAddress; // where: never a secret
    std::string action;         // set_weight, promote, rollback, stage_canary, advance, pause, ...
    nlohmann::json parameters = nlohmann::json::object(); // e.g. {"weight": 25}
    std::string stateBefore; // the rollout phase it was decided on ("canary")
    std::optional<std::int64_t> revisionBefore;
    std::string reason; // why, for automatic decisions: the judge's sentence
    // Both variants' KPIs and the judge's verdicts at that moment (free-form JSON object).
    nlohmann::json snapshot = nlohmann::json::object();

    // Filled by finish().
    std::string outcome = "pending"; // pending, succeeded, failed, conflict
    std::string message;             // the summary or the failure, as the operator saw it
    std::string stateAfter;
    std::optional<std::int64_t> revisionAfter;
    std::optional<SystemTime> finishedAt;
};

struct AuditOutcome
{
    std::string outcome; // succeeded, failed, conflict
    std::string message;
    std::string stateAfter;
    std::optional<std::int64_t> revisionAfter;
    SystemTime finishedAt{};
};

struct AuditFilter
{
    std::optional<SystemTime> since; // inclusive
    std::optional<SystemTime> until; // inclusive
    std::string backend;             // a substring of the backend address; empty: any
    std::string action;              // exact; empty: any
    std::string actor;               // exact; empty: any
    std::size_t limit = 0;           // newest first when set; 0: every match, oldest first
};

// Where entries go. The console and canaryctl write through this interface only, so a shared
// team store can be added later without touching them.
class AuditSink
{
public:
    virtual ~AuditSink() = default;
    // Durable when it returns: the action may be sent only after it succeeded. Returns the id,
    // or nullopt with `error` set (then the action must not be sent).
    virtual std::optional<std::int64_t> begin(const AuditEntry &entry, std::string *error) = 0;
    virtual bool finish(std::int64_t id, const AuditOutcome &outcome, std::string *error) = 0;
    virtual std::optional<std::vector<AuditEntry>> query(const AuditFilter &filter,
                                                         std::string *error) const = 0;
    // Where it is, fit to show ("/home/ana/.local/share/canary-console/audit.sqlite3").
    virtual std::string location() const = 0;
};

// The entry as one JSON object (RFC 3339 times, null for what is unknown): canaryctl history
// --json, the History dock's details and the reports all print this.
nlohmann::json toJson(const AuditEntry &entry);

// Who acted, as canaryctl history and the History dock name them: the actor, and for a plan's
// automatic decision the plan too ("auto (fraud-model 2.4.0)").
std::string actorText(const AuditEntry &entry);

} // namespace canary::audit
