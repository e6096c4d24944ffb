#include "actionlog.h"

#include "util/osuser.h"

#include <QFile>

#include <algorithm>
#include <cmath>
#include <utility>

namespace canary {

namespace {

nlohmann::json number(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json kpisJson(const ActionKpis &kpis)
{
    return {{"error_percent", number(kpis.errorPercent)},
            {"p99_ms", number(kpis.p99Ms)},
            {"p95_ms", number(kpis.p95Ms)},
            {"p50_ms", number(kpis.p50Ms)},
            {"mean_ms", number(kpis.meanMs)},
            {"accuracy_percent", number(kpis.accuracyPercent)},
            {"labels", number(kpis.labels)},
            {"correct", number(kpis.correct)},
            {"request_rate", number(kpis.requestRate)},
            {"requests", number(kpis.requestsInWindow)},
            {"errors", number(kpis.errorsInWindow)},
            {"weight_percent", number(kpis.weightPercent)}};
}

nlohmann::json variantJson(const VariantInfo &variant)
{
    return {{"model", variant.model},
            {"version", variant.version},
            {"weight_percent", variant.weight.percent()}};
}

nlohmann::json gateJson(const analysis::GateResult &gate)
{
    return {{"name", gate.spec.name},
            {"metric", std::string(analysis::toString(gate.spec.metric))},
            {"critical", gate.spec.critical},
            {"verdict", std::string(analysis::toString(gate.verdict))},
            {"sentence", gate.sentence},
            {"production", number(gate.productionValue)},
            {"canary", number(gate.canaryValue)},
            {"delta", number(gate.delta)},
            {"ratio_low", number(gate.ratioLow)},
            {"ratio_high", number(gate.ratioHigh)},
            {"production_samples", gate.productionSamples},
            {"canary_samples", gate.canarySamples},
            {"evidence", number(gate.evidence)},
            {"threshold", number(gate.threshold)}};
}

template<typename T> nlohmann::json optional(const std::optional<T> &value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json optionalTime(const std::optional<SystemTime> &time)
{
    return time ? nlohmann::json(formatRfc3339(*time)) : nlohmann::json(nullptr);
}

} // namespace

ActionKpis ActionKpis::from(const metrics::VariantKpis &kpis)
{
    ActionKpis out;
    out.errorPercent = kpis.errorRatio * 100.0;
    out.p99Ms = kpis.p99Seconds * 1000.0;
    out.p95Ms = kpis.p95Seconds * 1000.0;
    out.p50Ms = kpis.p50Seconds * 1000.0;
    out.meanMs = kpis.meanSeconds * 1000.0;
    out.accuracyPercent = kpis.accuracy ? *kpis.accuracy * 100.0 : metrics::VariantKpis::kUnknown;
    out.requestRate = kpis.requestRate;
    out.requestsInWindow = kpis.requestsInWindow;
    out.errorsInWindow = kpis.errorsInWindow;
    out.labels = kpis.feedbackInWindow;
    out.correct = kpis.correctInWindow;
    out.weightPercent = kpis.weightPercent;
    return out;
}

std::string leverAction(Lever lever)
{
    switch (lever) {
    case Lever::SetWeight:
        return "set_weight";
    case Lever::Promote:
        return "promote";
    case Lever::Rollback:
        return "rollback";
    case Lever::Stage:
        return "stage_canary";
    }
    return "unknown";
}

nlohmann::json weightParameters(Weight weight)
{
    return {{"canary", weight.percent()}};
}

ActionRecord leverRecord(Lever lever, nlohmann::json parameters, const RolloutState &state,
                         SystemTime time)
{
    ActionRecord record;
    record.time = time;
    record.action = leverAction(lever);
    record.parameters = std::move(parameters);
    record.setState(state);
    return record;
}

ActionEnd actionEnd(const ControlResult &result)
{
    if (!result.error && result.state)
        return {"succeeded", result.state->revision, std::string(toString(result.state->phase))};
    if (result.error.kind == ControlError::Kind::StaleRevision) {
        if (const auto &current = result.error.current)
            return {"conflict", current->revision, std::string(toString(current->phase))};
        return {"conflict", std::nullopt, {}};
    }
    return {"failed", std::nullopt, {}};
}

void ActionRecord::setState(const RolloutState &state)
{
    decidedOn = state;
    revision = state.revision;
    stateBefore = std::string(toString(state.phase));
}

void ActionRecord::setKpis(const KpiSnapshot &snapshot, bool live)
{
    kpisFrom = snapshot.from;
    kpisTime = snapshot.to;
    kpisLive = live;
    production = ActionKpis::from(snapshot.kpis.production);
    canary = ActionKpis::from(snapshot.kpis.canary);
}

ActionLog::ActionLog(QString path, std::size_t maxRecordsInMemory)
    : m_path(std::move(path))
    , m_maxRecords(std::max<std::size_t>(maxRecordsInMemory, 1))
    , m_actor(osUserName())
{}

bool ActionLog::begin(ActionRecord &record)
{
    record.id = m_nextId++;
    record.outcome = "pending";
    if (record.actor.empty())
        record.actor = m_actor;
    if (!m_sinkError.isEmpty()) {
        m_error = m_sinkError;
        return false;
    }
    if (m_sink) {
        std::string why;
        const auto auditId =
            m_sink->begin(toAuditEntry(record, m_backendKind, m_backendAddress), &why);
        if (!auditId) {
            m_error = QString::fromStdString(why);
            return false;
        }
        record.auditId = *auditId;
    }
    if (!write(record))
        return false;
    m_records.push_back(record);
    while (m_records.size() > m_maxRecords)
        m_records.pop_front();
    return true;
}

bool ActionLog::finish(std::uint64_t id, const std::string &outcome, const std::string &message,
                       std::optional<std::int64_t> resultRevision, SystemTime finishedAt,
                       const std::string &stateAfter)
{
    ActionRecord *record = findMutable(id);
    if (!record) {
        m_error = QStringLiteral("no action %1 in the log").arg(id);
        return false;
    }
    record->outcome = outcome;
    record->message = message;
    record->resultRevision = resultRevision;
    record->finishedAt = finishedAt;
    record->stateAfter = stateAfter;
    if (m_sink && record->auditId > 0) {
        std::string why;
        if (!m_sink->finish(record->auditId,
                            {outcome, message, stateAfter, resultRevision, finishedAt}, &why)) {
            m_error = QString::fromStdString(why);
            write(*record);
            return false;
        }
    }
    return write(*record);
}

audit::AuditEntry ActionLog::toAuditEntry(const ActionRecord &record, const std::string &kind,
                                          const std::string &address)
{
    audit::AuditEntry e;
    e.time = record.time;
    e.actor = record.automatic ? "auto" : record.actor;
    e.automatic = record.automatic;
    e.plan = record.plan;
    e.backendKind = kind;
    e.backendAddress = address;
    e.action = record.action;
    e.parameters = record.parameters;
    e.stateBefore = record.stateBefore;
    e.revisionBefore = record.revision;
    e.reason = record.reason;
    const nlohmann::json json = toJson(record);
    e.snapshot = json["kpis"].is_object() ? json["kpis"] : nlohmann::json::object();
    if (record.decidedOn) {
        nlohmann::json variants = {{"production", variantJson(record.decidedOn->production)}};
        if (record.decidedOn->canary)
            variants["canary"] = variantJson(*record.decidedOn->canary);
        e.snapshot["variants"] = std::move(variants);
    }
    if (record.judgement) {
        e.snapshot["verdict"] = std::string(analysis::toString(record.judgement->overall));
        if (!record.judgement->sentence.empty())
            e.snapshot["judgement"] = record.judgement->sentence;
        nlohmann::json gates = nlohmann::json::array();
        for (const auto &gate : record.judgement->gates)
            gates.push_back(gateJson(gate));
        e.snapshot["gates"] = std::move(gates);
    }
    if (!e.snapshot.contains("judgement") && record.parameters.contains("judgement"))
        e.snapshot["judgement"] = record.parameters["judgement"];
    return e;
}

const ActionRecord *ActionLog::find(std::uint64_t id) const
{
    for (auto it = m_records.rbegin(); it != m_records.rend(); ++it) {
        if (it->id == id)
            return &*it;
    }
    return nullptr;
}

ActionRecord *ActionLog::findMutable(std::uint64_t id)
{
    return const_cast<ActionRecord *>(std::as_const(*this).find(id));
}

bool ActionLog::write(const ActionRecord &record)
{
    if (m_path.isEmpty())
        return true;
    // Append, not QSaveFile: earlier lines are never rewritten, and a crash loses at most the
    // line being written.
    QFile file(m_path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text)) {
        m_error =
            QStringLiteral("cannot open the action log %1: %2").arg(m_path, file.errorString());
        return false;
    }
    const QByteArray line = QByteArray::fromStdString(toJson(record).dump()) + '\n';
    if (file.write(line) != line.size() || !file.flush()) {
        m_error =
            QStringLiteral("cannot write the action log %1: %2").arg(m_path, file.errorString());
        return false;
    }
    m_error.clear();
    return true;
}

nlohmann::json ActionLog::toJson(const ActionRecord &record)
{
    nlohmann::json kpis = nullptr;
    if (record.kpisTime) {
        kpis = {{"from", optionalTime(record.kpisFrom)},
                {"time", formatRfc3339(*record.kpisTime)},
                {"live", record.kpisLive},
                {"production", kpisJson(record.production)},
                {"canary", kpisJson(record.canary)}};
    }
    return {{"id", record.id},
            {"time", formatRfc3339(record.time)},
            {"actor", record.actor},
            {"action", record.action},
            {"parameters", record.parameters},
            {"outcome", record.outcome},
            {"message", record.message},
            {"revision", optional(record.revision)},
            {"result_revision", optional(record.resultRevision)},
            {"finished_at", optionalTime(record.finishedAt)},
            {"state_before", record.stateBefore},
            {"state_after", record.stateAfter},
            {"automatic", record.automatic},
            {"plan", record.plan},
            {"reason", record.reason},
            {"kpis", kpis}};
}

} // namespace canary
