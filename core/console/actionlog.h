#pragma once

#include "analysis/judge.h"
#include "audit/auditsink.h"
#include "backends/controlplane.h"
#include "domain/rolloutrules.h"
#include "domain/rolloutstate.h"
#include "metrics/kpi.h"
#include "metrics/kpisnapshot.h"

#include <nlohmann/json.hpp>

#include <QString>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace canary {

// One variant's numbers at the moment of an action; NaN where unknown.
struct ActionKpis
{
    double errorPercent = metrics::VariantKpis::kUnknown;
    double p99Ms = metrics::VariantKpis::kUnknown;
    double p95Ms = metrics::VariantKpis::kUnknown;
    double p50Ms = metrics::VariantKpis::kUnknown;
    double meanMs = metrics::VariantKpis::kUnknown;
    double accuracyPercent = metrics::VariantKpis::kUnknown;
    double requestRate = metrics::VariantKpis::kUnknown;      // per second
    double requestsInWindow = metrics::VariantKpis::kUnknown; // in the snapshot's window
    double errorsInWindow = metrics::VariantKpis::kUnknown;
    double labels = metrics::VariantKpis::kUnknown;  // labelled predictions in the window
    double correct = metrics::VariantKpis::kUnknown; // of those, correct ones
    double weightPercent = metrics::VariantKpis::kUnknown;

    static ActionKpis from(const metrics::VariantKpis &kpis);
};

struct ActionRecord
{
    std::uint64_t id = 0;
    SystemTime time{};  // when the action was asked for
    std::string actor;  // the operator's account
    std::string action; // set_weight, promote, rollback, stage_canary
    nlohmann::json parameters = nlohmann::json::object();
    std::string outcome = "pending";      // pending, succeeded, failed, conflict
    std::string message;                  // the summary or the failure, as the operator saw it
    std::optional<std::int64_t> revision; // the revision the action was decided on
    std::optional<std::int64_t> resultRevision; // the backend's revision afterwards
    std::optional<SystemTime> finishedAt;
    std::string stateBefore; // the rollout phase the action was decided on ("canary")
    std::string stateAfter;  // and the one the backend answered with
    // A rollout plan's decisions: automatic ones name the plan and say why.
    bool automatic = false;
    std::string plan;
    std::string reason;
    std::int64_t auditId = 0; // the entry in the audit trail, once written
    // The snapshot the action was decided on: its window (from, to], and whether it was of the
    // last poll (live) or older numbers the operator confirmed knowingly.
    std::optional<SystemTime> kpisFrom;
    std::optional<SystemTime> kpisTime; // the end of the window: the moment the numbers are of
    bool kpisLive = false;
    ActionKpis production;
    ActionKpis canary;
    // The rollout the action was decided on: its variants' models, versions and weights.
    std::optional<RolloutState> decidedOn;
    // The judge's verdicts the action was decided on, when a judge was judging.
    std::optional<analysis::Judgement> judgement;

    void setKpis(const KpiSnapshot &snapshot, bool live);
    // Sets decidedOn, and the revision and phase the action was decided on.
    void setState(const RolloutState &state);
};

// How a lever's action is recorded, the same for the console's RolloutActions and canaryctl's
// one-off commands: the action's name and parameters, the rollout it was decided on, and how it
// ended.
// "set_weight", "promote", "rollback", "stage_canary".
std::string leverAction(Lever lever);
// The parameters of a weight change: {"canary": 25.0}.
nlohmann::json weightParameters(Weight weight);
// The record of `lever` decided on `state` at `time`, to be begun before it is sent.
ActionRecord leverRecord(Lever lever, nlohmann::json parameters, const RolloutState &state,
                         SystemTime time);
// How a sent action ended, for its record.
struct ActionEnd
{
    std::string outcome; // succeeded (the backend answered with the rollout), conflict (a stale
                         // revision), failed (anything else)
    std::optional<std::int64_t> revision; // the backend's revision afterwards, where it said
    std::string stateAfter;               // and its phase
};
ActionEnd actionEnd(const ControlResult &result);

// Every action the console takes, kept in memory for the window and written to the audit trail
// (an AuditSink, docs/audit.md) when one is set: an entry when the action starts (outcome
// "pending", durable before the action is sent) and its outcome when it ends. With a path it is
// also appended as JSON lines (a line per start and per end), the form earlier versions kept.
class ActionLog final
{
public:
    explicit ActionLog(QString path = {}, std::size_t maxRecordsInMemory = 10'000);

    // Adds a pending record (assigning its id); false with error() set when the file could not
    // be written, in which case the action must not be sent.
    bool begin(ActionRecord &record);
    // Completes record `id`; false with error() set when the file could not be written (the
    // in-memory record is updated either way).
    bool finish(std::uint64_t id, const std::string &outcome, const std::string &message,
                std::optional<std::int64_t> resultRevision, SystemTime finishedAt,
                const std::string &stateAfter = {});

    // The audit trail every record is written to (not owned; null: none). When the trail could
    // not be opened, setSinkError() makes every begin() fail with that sentence, so no action is
    // sent unrecorded.
    void setSink(audit::AuditSink *sink) { m_sink = sink; }
    void setSinkError(QString error) { m_sinkError = std::move(error); }
    // False when begin() is bound to fail (the trail could not be opened): the levers say so.
    bool canRecord() const { return m_sinkError.isEmpty(); }
    const QString &sinkError() const { return m_sinkError; }
    // The backend the next records are about, as the trail names it.
    void setBackend(std::string kind, std::string address)
    {
        m_backendKind = std::move(kind);
        m_backendAddress = std::move(address);
    }
    // The trail's entry for a record. Its snapshot (docs/audit.md) holds the record's KPIs
    // ("production", "canary", the window), "variants" (from decidedOn) and "verdict",
    // "judgement" and "gates" (from judgement), each only when known.
    static audit::AuditEntry toAuditEntry(const ActionRecord &record, const std::string &kind,
                                          const std::string &address);

    const std::deque<ActionRecord> &records() const { return m_records; }
    const ActionRecord *find(std::uint64_t id) const;
    const QString &path() const { return m_path; }
    const QString &error() const { return m_error; }

    void setActor(std::string actor) { m_actor = std::move(actor); }
    const std::string &actor() const { return m_actor; }

    static nlohmann::json toJson(const ActionRecord &record);

private:
    bool write(const ActionRecord &record);
    ActionRecord *findMutable(std::uint64_t id);

    QString m_path;
    std::size_t m_maxRecords;
    std::deque<ActionRecord> m_records;
    std::uint64_t m_nextId = 1;
    std::string m_actor;
    QString m_error;
    audit::AuditSink *m_sink = nullptr;
    QString m_sinkError;
    std::string m_backendKind;
    std::string m_backendAddress;
};

} // namespace canary
