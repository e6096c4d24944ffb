#include "haproxycontrolplane.h"

#include "util/join.h"

#include <QPointer>

#include <array>
#include <memory>

namespace canary {

namespace {

// Sentences are built by appending: GCC 12's optimiser reports a false -Wrestrict on
// `"literal" + std::string&&`.
std::string weightCommand(const std::string &backend, const std::string &server, int weight)
{
    return join({"set weight ", backend, "/", server, " ", std::to_string(weight)});
}

// HAProxy's answers to commands on unknown names.
bool isUnknownName(std::string_view refusal)
{
    return refusal.starts_with("No such");
}

} // namespace

HaproxyControlPlane::HaproxyControlPlane(HaproxyTarget target, std::chrono::milliseconds timeout,
                                         const Clock &clock, QObject *parent)
    : ControlPlane(parent)
    , m_target(std::move(target))
    , m_runtime(m_target.endpoint, timeout)
    , m_clock(clock)
{
    m_runtime.setMaxAnswerBytes(haproxy::kMaxStatBytes);
}

void HaproxyControlPlane::stamp(std::optional<RolloutState> &state) const
{
    if (state)
        state->updatedAt = m_clock.now();
}

ControlPlaneCapabilities HaproxyControlPlane::capabilities() const
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "HAProxy";
    capabilities.revisions = false;
    capabilities.staging = false;
    capabilities.convergesOverTime = false;
    // 100/256 % per weight step, shown to the nearest tenth.
    capabilities.resolution = Weight::fromTenths(4);
    return capabilities;
}

std::string HaproxyControlPlane::address() const
{
    return m_target.endpoint.display();
}

Weight HaproxyControlPlane::nearestWeight(Weight requested) const
{
    return haproxy::nearestShare(requested);
}

ControlError HaproxyControlPlane::error(ControlError::Kind kind, const std::string &what,
                                        bool sent) const
{
    ControlError failure;
    failure.kind = kind;
    failure.detail = join({"HAProxy runtime API at ", address(), ": ", what});
    failure.requestSent = sent;
    return failure;
}

ControlError HaproxyControlPlane::errorOf(const RuntimeAnswer &answer, const std::string &command,
                                          bool changes) const
{
    switch (answer.outcome) {
    case RuntimeAnswer::Outcome::Answered:
        break;
    case RuntimeAnswer::Outcome::NotSent:
        return error(ControlError::Kind::Unreachable,
                     join({"cannot connect (", answer.error, "); \"", command, "\" was not sent"}),
                     false);
    case RuntimeAnswer::Outcome::NoAnswer:
        return error(ControlError::Kind::Unreachable,
                     join({"\"", command, "\" got no answer (", answer.error, ")",
                           changes ? "; it is not known whether it applied" : ""}));
    case RuntimeAnswer::Outcome::TooLarge: {
        ControlError failure = error(ControlError::Kind::BadAnswer,
                                     join({"the answer to \"", command, "\": ", answer.error}));
        failure.answerLimitBytes = m_runtime.maxAnswerBytes();
        return failure;
    }
    }
    const std::string refusal = haproxy::refusalText(answer.text);
    if (refusal.empty())
        return {};
    if (haproxy::isPermissionRefusal(refusal))
        return error(ControlError::Kind::Unauthorized,
                     join({"\"", command, "\" was refused: ", refusal,
                           " (the socket's level is too low for it; changing weights needs \"level "
                           "admin\")"}));
    if (haproxy::isStaticRefusal(refusal))
        return error(
            ControlError::Kind::Rejected,
            join({"backend ", m_target.backend,
                  " uses a static load-balancing algorithm, so its weights cannot be "
                  "changed at run time; HAProxy answered \"",
                  refusal, "\". Use a dynamic algorithm such as roundrobin or leastconn"}));
    return error(ControlError::Kind::Rejected, join({"\"", command, "\" was refused: ", refusal}));
}

std::optional<RolloutState> HaproxyControlPlane::stateOf(const HaproxyTarget &target,
                                                         const Reading &reading, std::string *error)
{
    // A server that is down, in maintenance or draining takes no new traffic whatever its weight:
    // the share shown is the one HAProxy really applies.
    const int production =
        haproxy::takesTraffic(reading.productionStatus) ? reading.productionWeight : 0;
    const int canary = haproxy::takesTraffic(reading.canaryStatus) ? reading.canaryWeight : 0;
    const auto share = haproxy::shareOfWeights(production, canary);
    if (!share) {
        if (error)
            *error = join({"backend ", target.backend, " sends traffic to neither ",
                           target.production, " (weight ", std::to_string(reading.productionWeight),
                           ", ", reading.productionStatus, ") nor ", target.canary, " (weight ",
                           std::to_string(reading.canaryWeight), ", ", reading.canaryStatus, ")"});
        return std::nullopt;
    }
    RolloutState state;
    state.revision = 0;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, target.production, {}, share->complement()};
    state.canary = VariantInfo{VariantRole::Canary, target.canary, {}, *share};
    return state;
}

void HaproxyControlPlane::read(QObject *context, ReadingCallback onDone)
{
    const std::string statCommand = join({"show stat ", m_target.backend, " 6 -1"});
    auto reading = std::make_shared<Reading>();
    auto done = std::make_shared<ReadingCallback>(std::move(onDone));
    const auto getWeight = [this, context, reading, done](const std::string &server, int *into,
                                                          std::function<void()> next) {
        const std::string command = join({"get weight ", m_target.backend, "/", server});
        m_runtime.send(command, context,
                       [this, command, into, done, next = std::move(next)](RuntimeAnswer answer) {
                           if (auto failure = errorOf(answer, command);
                               failure && answer.outcome != RuntimeAnswer::Outcome::Answered) {
                               (*done)(std::nullopt, failure);
                               return;
                           }
                           const auto weight = haproxy::parseGetWeight(answer.text);
                           if (!weight) {
                               const std::string refusal = haproxy::refusalText(answer.text);
                               if (haproxy::isPermissionRefusal(refusal)) {
                                   (*done)(std::nullopt, errorOf(answer, command));
                                   return;
                               }
                               (*done)(std::nullopt,
                                       error(isUnknownName(refusal) ? ControlError::Kind::Rejected
                                                                    : ControlError::Kind::BadAnswer,
                                             join({"\"", command, "\" answered \"",
                                                   refusal.substr(0, 200), "\""})));
                               return;
                           }
                           *into = *weight;
                           next();
                       });
    };
    m_runtime.send(
        statCommand, context, [this, statCommand, reading, done, getWeight](RuntimeAnswer answer) {
            if (!answer.answered()) {
                (*done)(std::nullopt, errorOf(answer, statCommand));
                return;
            }
            const std::string refusal = haproxy::refusalText(answer.text);
            if (isUnknownName(refusal)) {
                (*done)(std::nullopt, error(ControlError::Kind::Rejected,
                                            join({"there is no backend ", m_target.backend,
                                                  " (HAProxy answered \"", refusal, "\")"})));
                return;
            }
            if (haproxy::isPermissionRefusal(refusal)) {
                (*done)(std::nullopt, errorOf(answer, statCommand));
                return;
            }
            std::string why;
            const auto table = haproxy::parseShowStat(answer.text, &why);
            if (!table) {
                (*done)(std::nullopt,
                        error(ControlError::Kind::BadAnswer,
                              join({"malformed answer to \"", statCommand, "\": ", why})));
                return;
            }
            const haproxy::StatRow *backendRow = table->find(m_target.backend, "BACKEND");
            const haproxy::StatRow *production = table->find(m_target.backend, m_target.production);
            const haproxy::StatRow *canary = table->find(m_target.backend, m_target.canary);
            if (!backendRow || !production || !canary) {
                const std::string missing =
                    !backendRow ? join({"there is no backend ", m_target.backend})
                    : !production
                        ? join({"backend ", m_target.backend, " has no server ",
                                m_target.production})
                        : join({"backend ", m_target.backend, " has no server ", m_target.canary});
                (*done)(std::nullopt, error(ControlError::Kind::Rejected, missing));
                return;
            }
            reading->algorithm = std::string(backendRow->text("algo").value_or(""));
            reading->productionStatus = std::string(production->text("status").value_or(""));
            reading->canaryStatus = std::string(canary->text("status").value_or(""));
            getWeight(m_target.production, &reading->productionWeight,
                      [getWeight, this, reading, done] {
                          getWeight(m_target.canary, &reading->canaryWeight,
                                    [reading, done] { (*done)(*reading, {}); });
                      });
        });
}

void HaproxyControlPlane::fetchState(QObject *context, Callback onDone)
{
    read(context,
         [this, onDone = std::move(onDone)](std::optional<Reading> reading, ControlError failure) {
             ControlResult result;
             if (!reading) {
                 result.error = std::move(failure);
                 onDone(std::move(result));
                 return;
             }
             std::string why;
             result.state = stateOf(m_target, *reading, &why);
             stamp(result.state);
             if (!result.state)
                 result.error = error(ControlError::Kind::Conflict, why);
             onDone(std::move(result));
         });
}

void HaproxyControlPlane::setCanaryWeight(Weight weight, std::int64_t, QObject *context,
                                          Callback onDone)
{
    applyWeights(haproxy::weightsForShare(weight), context, std::move(onDone));
}

void HaproxyControlPlane::promote(std::int64_t, QObject *context, Callback onDone)
{
    applyWeights({0, haproxy::kMaxServerWeight}, context, std::move(onDone));
}

void HaproxyControlPlane::rollback(std::int64_t, QObject *context, Callback onDone)
{
    applyWeights({haproxy::kMaxServerWeight, 0}, context, std::move(onDone));
}

void HaproxyControlPlane::stageCanary(const nlohmann::json &, std::int64_t, QObject *context,
                                      Callback onDone)
{
    ControlResult result;
    result.error = error(ControlError::Kind::Rejected,
                         join({"HAProxy cannot stage a model: the canary is server ",
                               m_target.canary, " of backend ", m_target.backend,
                               ". Deploy the new model behind that server, then set its weight"}),
                         false);
    QPointer<QObject> guard(context);
    // Asynchronous like every other answer.
    QMetaObject::invokeMethod(
        context,
        [guard, onDone = std::move(onDone), result = std::move(result)]() mutable {
            if (guard)
                onDone(std::move(result));
        },
        Qt::QueuedConnection);
}

void HaproxyControlPlane::applyWeights(haproxy::ServerWeights wanted, QObject *context,
                                       Callback onDone)
{
    // Only an admin-level socket may change weights; asking first means a refusal changes nothing.
    const std::string levelCommand = "show cli level";
    m_runtime.send(
        levelCommand, context,
        [this, wanted, context, levelCommand,
         onDone = std::move(onDone)](RuntimeAnswer answer) mutable {
            if (!answer.answered()) {
                ControlResult result;
                result.error = errorOf(answer, levelCommand);
                result.error.requestSent = false; // no change was sent
                onDone(std::move(result));
                return;
            }
            const std::string level = haproxy::refusalText(answer.text);
            // HAProxy before 2.0 does not know the command; its refusal of `set weight` then tells.
            const bool known = level == "admin" || level == "operator" || level == "user";
            if (known && level != "admin") {
                ControlResult result;
                result.error = error(ControlError::Kind::Unauthorized,
                                     join({"the socket is at level \"", level,
                                           "\"; changing weights needs a stats socket with \"level "
                                           "admin\". Nothing was changed"}),
                                     false);
                finishWithRead(std::move(result.error), context, std::move(onDone));
                return;
            }
            read(context, [this, wanted, context, onDone = std::move(onDone)](
                              std::optional<Reading> before, ControlError failure) mutable {
                if (!before) {
                    ControlResult result;
                    result.error = std::move(failure);
                    result.error.requestSent = false;
                    onDone(std::move(result));
                    return;
                }
                if (haproxy::isStaticAlgorithm(before->algorithm)) {
                    ControlError refusal = error(
                        ControlError::Kind::Rejected,
                        join(
                            {"backend ", m_target.backend, " balances with \"", before->algorithm,
                             "\", a static algorithm: HAProxy accepts only weights 0% and 100% for "
                             "it at run time, so the canary's share cannot be set. Use a dynamic "
                             "algorithm such as roundrobin or leastconn. Nothing was changed"}),
                        false);
                    std::string ignored;
                    refusal.current = stateOf(m_target, *before, &ignored);
                    stamp(refusal.current);
                    ControlResult result;
                    result.state = refusal.current;
                    result.error = std::move(refusal);
                    onDone(std::move(result));
                    return;
                }
                applyChecked(wanted, *before, context, std::move(onDone));
            });
        });
}

// One change of both weights, from the reading before it to the weights wanted.
struct HaproxyControlPlane::Change
{
    struct Step
    {
        std::string server;
        int from = 0;
        int to = 0;
    };
    std::array<Step, 2> steps; // in the order they are sent
    QObject *context = nullptr;
    Callback onDone;
};

void HaproxyControlPlane::applyChecked(haproxy::ServerWeights wanted, const Reading &before,
                                       QObject *context, Callback onDone)
{
    const Change::Step production{m_target.production, before.productionWeight, wanted.production};
    const Change::Step canary{m_target.canary, before.canaryWeight, wanted.canary};
    if (production.from == production.to && canary.from == canary.to) {
        finishWithRead({}, context, std::move(onDone));
        return;
    }
    auto change = std::make_shared<Change>();
    // The weight that rises goes first, so that the backend never has both servers at 0 (which
    // would answer 503 to everyone) and a static algorithm's refusal comes before any change.
    const bool canaryFirst = canary.to - canary.from > production.to - production.from;
    change->steps = canaryFirst ? std::array<Change::Step, 2>{canary, production}
                                : std::array<Change::Step, 2>{production, canary};
    change->context = context;
    change->onDone = std::move(onDone);
    sendFirst(change);
}

void HaproxyControlPlane::sendFirst(std::shared_ptr<Change> change)
{
    const auto &step = change->steps[0];
    const std::string command = weightCommand(m_target.backend, step.server, step.to);
    m_runtime.send(command, change->context, [this, change, command](RuntimeAnswer answer) {
        if (auto failure = errorOf(answer, command, true)) {
            if (answer.answered())
                failure.detail += ". Nothing was changed";
            finishWithRead(std::move(failure), change->context, std::move(change->onDone));
            return;
        }
        sendSecond(change);
    });
}

void HaproxyControlPlane::sendSecond(std::shared_ptr<Change> change)
{
    const auto &step = change->steps[1];
    const std::string command = weightCommand(m_target.backend, step.server, step.to);
    m_runtime.send(command, change->context, [this, change, command](RuntimeAnswer answer) {
        ControlError failure = errorOf(answer, command, true);
        if (!failure) {
            finishWithRead({}, change->context, std::move(change->onDone));
            return;
        }
        if (answer.answered()) {
            undoFirst(change, std::move(failure)); // refused: certainly not applied
            return;
        }
        // No answer: it may have applied. Only HAProxy can say, so ask before undoing anything.
        read(change->context, [this, change, failure = std::move(failure)](
                                  std::optional<Reading> now, ControlError) mutable {
            const auto weightOf = [&](const std::string &server) {
                return server == m_target.production ? now->productionWeight : now->canaryWeight;
            };
            if (now && weightOf(change->steps[0].server) == change->steps[0].to &&
                weightOf(change->steps[1].server) == change->steps[1].to) {
                finishWithRead({}, change->context, std::move(change->onDone));
                return;
            }
            undoFirst(change, std::move(failure));
        });
    });
}

void HaproxyControlPlane::undoFirst(std::shared_ptr<Change> change, ControlError failure)
{
    // Half applied: put the first server back where it was.
    const auto &step = change->steps[0];
    const std::string command = weightCommand(m_target.backend, step.server, step.from);
    m_runtime.send(
        command, change->context,
        [this, change, command, failure = std::move(failure)](RuntimeAnswer answer) mutable {
            const auto &first = change->steps[0];
            const auto &second = change->steps[1];
            if (const ControlError undoFailure = errorOf(answer, command, true); !undoFailure) {
                failure.detail +=
                    join({". The first change was undone: ", first.server, " is back at weight ",
                          std::to_string(first.from), ", so nothing is changed"});
            } else {
                failure.detail +=
                    join({". Undoing the first change (", command,
                          ") failed too: ", undoFailure.detail, ". The backend may be left with ",
                          first.server, " at weight ", std::to_string(first.to), " and ",
                          second.server, " at weight ", std::to_string(second.from),
                          "; check it with \"get weight\" and set both "
                          "weights by hand"});
            }
            finishWithRead(std::move(failure), change->context, std::move(change->onDone));
        });
}

void HaproxyControlPlane::finishWithRead(ControlError failure, QObject *context, Callback onDone)
{
    // No revisions: the state after an action is what HAProxy says now, read back.
    read(context, [this, failure = std::move(failure), onDone = std::move(onDone)](
                      std::optional<Reading> after, ControlError readFailure) mutable {
        ControlResult result;
        std::string why;
        if (after)
            result.state = stateOf(m_target, *after, &why);
        stamp(result.state);
        if (failure) {
            failure.current = result.state;
            result.error = std::move(failure);
        } else if (!after) {
            result.error = std::move(readFailure);
            result.error.detail += " (reading the weights back after the change)";
        } else if (!result.state) {
            result.error = error(ControlError::Kind::Conflict, why);
        }
        onDone(std::move(result));
    });
}

} // namespace canary
