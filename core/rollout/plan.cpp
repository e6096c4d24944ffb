#include "plan.h"

#include "util/boundedjson.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace canary::rollout {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxPlanBytes = 1 << 20;
constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxSteps = 100;
constexpr std::size_t kMaxGates = 32;
constexpr std::int64_t kMaxSeconds = 30LL * 24 * 3600; // a month: longer is a typo
constexpr std::int64_t kMaxCount = 1'000'000'000'000;

// Thrown only inside this file and turned into the `error` string at the API boundary.
struct PlanError
{
    std::string message;
};

std::string field(const std::string &where, std::string_view name)
{
    return where.empty() ? std::string(name) : where + "." + std::string(name);
}

std::string indexed(std::string_view name, std::size_t index)
{
    return std::string(name) + "[" + std::to_string(index) + "]";
}

[[noreturn]] void fail(const std::string &where, const std::string &problem)
{
    throw PlanError{where.empty() ? problem : where + ": " + problem};
}

std::string numberText(double value)
{
    std::ostringstream s;
    s << value;
    return s.str();
}

void requireObject(const json &value, const std::string &where,
                   std::initializer_list<std::string_view> known)
{
    if (!value.is_object())
        fail(where.empty() ? "(document)" : where, "must be a JSON object");
    for (const auto &[key, unused] : value.items()) {
        bool ok = false;
        for (auto k : known)
            ok = ok || key == k;
        if (!ok) {
            std::string list;
            for (auto k : known)
                list += (list.empty() ? "" : ", ") + std::string(k);
            fail(field(where, key), "unknown field (known: " + list + ")");
        }
    }
}

const json *find(const json &object, std::string_view key)
{
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

double number(const json &value, const std::string &where)
{
    if (!value.is_number())
        fail(where, "must be a number");
    const double v = value.get<double>();
    if (!std::isfinite(v))
        fail(where, "must be a finite number");
    return v;
}

// A number in [min, max] (or (min, max) when `open`).
double numberIn(const json &value, const std::string &where, double min, double max,
                bool open = false)
{
    const double v = number(value, where);
    if (open ? (v <= min || v >= max) : (v < min || v > max))
        fail(where, std::string("must be ") + (open ? "strictly " : "") + "between " +
                        numberText(min) + " and " + numberText(max) + ", got " + numberText(v));
    return v;
}

std::int64_t integer(const json &value, const std::string &where, std::int64_t min,
                     std::int64_t max)
{
    if (!value.is_number_integer())
        fail(where, "must be a whole number");
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t(max))
        fail(where, "must be at most " + std::to_string(max));
    const auto v = value.get<std::int64_t>();
    if (v < min || v > max)
        fail(where, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", got " + std::to_string(v));
    return v;
}

bool boolean(const json &value, const std::string &where)
{
    if (!value.is_boolean())
        fail(where, "must be true or false");
    return value.get<bool>();
}

std::string name(const json &value, const std::string &where)
{
    if (!value.is_string())
        fail(where, "must be a string");
    auto s = value.get<std::string>();
    if (s.empty() || s.size() > kMaxNameLength)
        fail(where, "must be 1 to 128 characters long");
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f)
            fail(where, "must contain printable characters only");
    }
    return s;
}

PlanStep parseStep(const json &value, const std::string &where, const PlanStep *previous)
{
    requireObject(value, where, {"weight", "bake_seconds", "min_requests"});
    PlanStep step;
    const json *weight = find(value, "weight");
    if (!weight)
        fail(field(where, "weight"), "is required");
    std::string problem;
    const auto parsed = Weight::fromPercent(number(*weight, field(where, "weight")), &problem);
    if (!parsed)
        fail(field(where, "weight"), problem);
    if (parsed->isZero())
        fail(field(where, "weight"), "must be above 0 %: a step at 0 % sends the canary nothing");
    if (*parsed >= Weight::fromTenths(Weight::kMaxTenths))
        fail(field(where, "weight"), "must be below 100 %: the plan ends with a promotion "
                                     "(promote_at_end), not with a step at 100 %");
    if (previous && *parsed <= previous->weight)
        fail(field(where, "weight"), "must be above the previous step's " +
                                         previous->weight.toString() + " %, got " +
                                         parsed->toString() + " %");
    step.weight = *parsed;
    const json *bake = find(value, "bake_seconds");
    if (!bake)
        fail(field(where, "bake_seconds"), "is required");
    step.bake = std::chrono::seconds(integer(*bake, field(where, "bake_seconds"), 1, kMaxSeconds));
    if (const json *minimum = find(value, "min_requests"))
        step.minimumRequests = integer(*minimum, field(where, "min_requests"), 0, kMaxCount);
    return step;
}

analysis::GateSpec parseGate(const json &value, const std::string &where)
{
    requireObject(value, where,
                  {"name", "metric", "direction", "tolerance", "floor", "critical", "alpha_share",
                   "tail_quantiles"});
    analysis::GateSpec gate;
    const json *gateName = find(value, "name");
    if (!gateName)
        fail(field(where, "name"), "is required");
    gate.name = name(*gateName, field(where, "name"));

    const json *metric = find(value, "metric");
    if (!metric)
        fail(field(where, "metric"), "is required");
    const auto parsedMetric = metric->is_string()
                                  ? analysis::gateMetricFromString(metric->get<std::string>())
                                  : std::nullopt;
    if (!parsedMetric)
        fail(field(where, "metric"),
             "must be \"error_rate\", \"latency_tail\", \"latency_body\" or \"accuracy\"");
    gate.metric = *parsedMetric;

    gate.direction = analysis::naturalDirection(gate.metric);
    // The body of the distribution is production's median unless the plan says otherwise.
    if (gate.metric == analysis::GateMetric::LatencyBody)
        gate.tailQuantiles = {0.5};
    if (const json *direction = find(value, "direction")) {
        const auto parsed = direction->is_string()
                                ? analysis::directionFromString(direction->get<std::string>())
                                : std::nullopt;
        if (!parsed)
            fail(field(where, "direction"), "must be \"higher_is_worse\" or \"lower_is_worse\"");
        gate.direction = *parsed;
    }
    if (const json *tolerance = find(value, "tolerance"))
        gate.tolerance = numberIn(*tolerance, field(where, "tolerance"), 0, 100);
    if (const json *floor = find(value, "floor"))
        gate.floor = numberIn(*floor, field(where, "floor"), 0, 1);
    if (const json *critical = find(value, "critical"))
        gate.critical = boolean(*critical, field(where, "critical"));
    if (const json *share = find(value, "alpha_share"))
        gate.alphaShare = numberIn(*share, field(where, "alpha_share"), 0, 1);
    if (const json *quantiles = find(value, "tail_quantiles")) {
        const std::string at = field(where, "tail_quantiles");
        if (gate.metric != analysis::GateMetric::LatencyTail &&
            gate.metric != analysis::GateMetric::LatencyBody)
            fail(at, "applies only to latency_tail and latency_body gates");
        if (!quantiles->is_array() || quantiles->empty() || quantiles->size() > 8)
            fail(at, "must be an array of 1 to 8 quantiles");
        gate.tailQuantiles.clear();
        for (std::size_t i = 0; i < quantiles->size(); ++i) {
            const std::string q = indexed(at, i);
            gate.tailQuantiles.push_back(numberIn((*quantiles)[i], q, 0, 1, /*open=*/true));
            if (i > 0 && gate.tailQuantiles[i] <= gate.tailQuantiles[i - 1])
                fail(q, "must be above the quantile before it");
        }
    }
    return gate;
}

Plan parseDocument(const json &doc)
{
    requireObject(doc, "",
                  {"name", "alpha", "interval_seconds", "steps", "gates", "min_labels",
                   "calibration_requests", "on_inconclusive", "extend_seconds", "max_extensions",
                   "end_bake_early", "max_duration_seconds", "promote_at_end"});
    Plan plan;
    plan.name = "unnamed plan";
    if (const json *planName = find(doc, "name"))
        plan.name = name(*planName, "name");
    if (const json *alpha = find(doc, "alpha"))
        plan.judge.alpha = numberIn(*alpha, "alpha", 0, 1, /*open=*/true);
    if (const json *interval = find(doc, "interval_seconds"))
        plan.interval = std::chrono::milliseconds(
            std::llround(numberIn(*interval, "interval_seconds", 0.1, 3600) * 1000));

    const json *steps = find(doc, "steps");
    if (!steps)
        fail("steps", "is required: a plan needs at least one step");
    if (!steps->is_array() || steps->empty() || steps->size() > kMaxSteps)
        fail("steps", "must be an array of 1 to 100 steps");
    for (std::size_t i = 0; i < steps->size(); ++i) {
        const PlanStep *previous = plan.steps.empty() ? nullptr : &plan.steps.back();
        plan.steps.push_back(parseStep((*steps)[i], indexed("steps", i), previous));
        if (plan.steps.back().bake < plan.interval)
            fail(field(indexed("steps", i), "bake_seconds"),
                 "must be at least the plan's interval_seconds");
    }

    if (const json *gates = find(doc, "gates")) {
        if (!gates->is_array() || gates->empty() || gates->size() > kMaxGates)
            fail("gates", "must be an array of 1 to 32 gates (leave it out for the default "
                          "gates)");
        plan.judge.gates.clear();
        std::set<std::string> names;
        for (std::size_t i = 0; i < gates->size(); ++i) {
            const std::string where = indexed("gates", i);
            analysis::GateSpec gate = parseGate((*gates)[i], where);
            if (!names.insert(gate.name).second)
                fail(field(where, "name"), "\"" + gate.name +
                                               "\" is already the name of a gate "
                                               "before it");
            plan.judge.gates.push_back(std::move(gate));
        }
    }
    if (const json *labels = find(doc, "min_labels"))
        plan.minimumLabels = integer(*labels, "min_labels", 0, kMaxCount);
    if (const json *calibration = find(doc, "calibration_requests"))
        plan.judge.calibrationRequests =
            integer(*calibration, "calibration_requests", 1, kMaxCount);
    if (const json *action = find(doc, "on_inconclusive")) {
        const std::string text = action->is_string() ? action->get<std::string>() : "";
        if (text == "pause")
            plan.onInconclusive = OnInconclusive::Pause;
        else if (text == "extend")
            plan.onInconclusive = OnInconclusive::ExtendBake;
        else
            fail("on_inconclusive", "must be \"pause\" or \"extend\"");
    }
    if (const json *extend = find(doc, "extend_seconds"))
        plan.extendBy = std::chrono::seconds(integer(*extend, "extend_seconds", 0, kMaxSeconds));
    if (const json *extensions = find(doc, "max_extensions"))
        plan.maxExtensions = int(integer(*extensions, "max_extensions", 0, 100));
    if (const json *early = find(doc, "end_bake_early"))
        plan.endBakeEarly = boolean(*early, "end_bake_early");
    if (const json *promote = find(doc, "promote_at_end"))
        plan.promoteAtEnd = boolean(*promote, "promote_at_end");
    if (const json *maximum = find(doc, "max_duration_seconds")) {
        plan.maxDuration =
            std::chrono::seconds(integer(*maximum, "max_duration_seconds", 0, kMaxSeconds));
        std::chrono::seconds bakes{0};
        for (const PlanStep &step : plan.steps)
            bakes += step.bake;
        // A limit the bakes alone exceed could never let the plan promote.
        if (plan.maxDuration.count() > 0 && plan.maxDuration < bakes)
            fail("max_duration_seconds",
                 "must be 0 (no limit) or at least the steps' bakes together (" +
                     std::to_string(bakes.count()) + " s), got " +
                     std::to_string(plan.maxDuration.count()));
    }
    return plan;
}

} // namespace

std::string_view toString(OnInconclusive action)
{
    return action == OnInconclusive::Pause ? "pause" : "extend";
}

std::optional<Plan> parsePlan(std::string_view text, std::string_view source, std::string *error)
{
    const std::string prefix = std::string(source) + ":";
    // Duplicate keys are refused: with "last wins" a second "steps" would silently replace the
    // first.
    JsonParseOptions options;
    options.refuseDuplicateKeys = true;
    JsonParseError parseError;
    const auto doc = parseBoundedJson(text, &parseError, options);
    if (!doc) {
        if (error)
            *error = prefix + (parseError.path.empty() ? " " : " " + parseError.path + ": ") +
                     parseError.reason + " (line " + std::to_string(parseError.line) + ", column " +
                     std::to_string(parseError.column) + ")";
        return std::nullopt;
    }
    try {
        return parseDocument(*doc);
    } catch (const PlanError &e) {
        if (error)
            *error = prefix + " " + e.message;
    } catch (const json::exception &e) {
        // Every field is type-checked before it is read, so this is a bug here; still the caller
        // gets an error, not an exception.
        if (error)
            *error = prefix + " cannot be read: " + e.what();
    }
    return std::nullopt;
}

std::optional<Plan> loadPlanFile(const std::string &path, std::string *error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = path + ": cannot be opened for reading";
        return std::nullopt;
    }
    std::string text;
    text.resize(kMaxPlanBytes + 1);
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    if (text.size() > kMaxPlanBytes) {
        if (error)
            *error = path + ": larger than 1 MiB, refusing to read it";
        return std::nullopt;
    }
    return parsePlan(text, path, error);
}

Plan defaultPlan()
{
    Plan plan;
    plan.name = "default";
    for (int tenths : {50, 250, 500})
        plan.steps.push_back({Weight::fromTenths(tenths), std::chrono::seconds(300), 1000});
    return plan;
}

} // namespace canary::rollout
