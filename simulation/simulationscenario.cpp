#include "simulationscenario.h"

#include "util/boundedjson.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace canary::simulation {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxScenarioBytes = 1 << 20;
// A day: the traffic keeps a latency histogram per second and variant (about 1.3 KB each).
constexpr double kMaxSeconds = 24 * 3600.0;
constexpr std::size_t kMaxChanges = 1000;
constexpr std::size_t kMaxSteps = 100;

// Thrown only inside this file and turned into the `error` string at the API boundary.
struct ScenarioError
{
    std::string message;
};

[[noreturn]] void fail(const std::string &field, const std::string &problem)
{
    throw ScenarioError{field.empty() ? problem : field + ": " + problem};
}

std::string join(const std::string &where, std::string_view field)
{
    return where.empty() ? std::string(field) : where + "." + std::string(field);
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
            fail(join(where, key), "unknown field (known: " + list + ")");
        }
    }
}

double number(const json &value, const std::string &field, double min, double max)
{
    if (!value.is_number())
        fail(field, "must be a number");
    const double v = value.get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
        std::ostringstream s;
        s << "must be between " << min << " and " << max << ", got " << v;
        fail(field, s.str());
    }
    return v;
}

std::int64_t wholeSeconds(const json &value, const std::string &field, std::int64_t min)
{
    if (!value.is_number_integer())
        fail(field, "must be a whole number of seconds");
    const double v = value.get<double>();
    if (v < double(min) || v > kMaxSeconds)
        fail(field, "must be between " + std::to_string(min) + " and " +
                        std::to_string(std::int64_t(kMaxSeconds)) + " seconds");
    return value.get<std::int64_t>();
}

Weight weight(const json &value, const std::string &field)
{
    if (!value.is_number())
        fail(field, "must be a number");
    std::string problem;
    const auto w = Weight::fromPercent(value.get<double>(), &problem);
    if (!w)
        fail(field, problem);
    if (w->isZero() || w->tenths() >= Weight::kMaxTenths)
        fail(field, "must be above 0 % and below 100 %");
    return *w;
}

gateway::SimulateOverride simulateOverride(const json &value, const std::string &where)
{
    std::string problem;
    auto o = gateway::parseSimulateOverride(value, where, &problem);
    if (!o)
        throw ScenarioError{problem};
    return *o;
}

SimulationScenario parseDocument(const json &doc)
{
    requireObject(doc, "",
                  {"name", "duration_s", "requests_per_second", "canary_weight", "steps",
                   "interval_s", "production", "canary", "changes", "labels", "regression",
                   "plan"});
    SimulationScenario s;
    if (auto it = doc.find("name"); it != doc.end()) {
        if (!it->is_string() || it->get<std::string>().empty() ||
            it->get<std::string>().size() > 128)
            fail("name", "must be a string of 1 to 128 characters");
        s.name = it->get<std::string>();
    }
    if (auto it = doc.find("requests_per_second"); it != doc.end())
        s.requestsPerSecond = number(*it, "requests_per_second", 0.001, 100'000);

    const auto steps = doc.find("steps");
    const auto canaryWeight = doc.find("canary_weight");
    const auto duration = doc.find("duration_s");
    if (steps != doc.end()) {
        if (canaryWeight != doc.end())
            fail("canary_weight", "give either canary_weight or steps, not both");
        if (duration != doc.end())
            fail("duration_s", "give either duration_s or steps (each with its duration_s)");
        if (!steps->is_array() || steps->empty() || steps->size() > kMaxSteps)
            fail("steps", "must be an array of 1 to " + std::to_string(kMaxSteps) + " steps");
        for (std::size_t i = 0; i < steps->size(); ++i) {
            const auto where = "steps[" + std::to_string(i) + "]";
            const auto &step = (*steps)[i];
            requireObject(step, where, {"weight", "duration_s"});
            if (!step.contains("weight"))
                fail(join(where, "weight"), "is required");
            if (!step.contains("duration_s"))
                fail(join(where, "duration_s"), "is required");
            WeightStep w{weight(step["weight"], join(where, "weight")),
                         wholeSeconds(step["duration_s"], join(where, "duration_s"), 1)};
            if (!s.steps.empty() && w.weight <= s.steps.back().weight)
                fail(join(where, "weight"), "must be above the previous step's " +
                                                s.steps.back().weight.toString() + " %");
            s.steps.push_back(w);
        }
    } else {
        WeightStep only{Weight::fromTenths(100), 1800};
        if (canaryWeight != doc.end())
            only.weight = weight(*canaryWeight, "canary_weight");
        if (duration != doc.end())
            only.durationS = wholeSeconds(*duration, "duration_s", 1);
        s.steps.push_back(only);
    }
    if (s.durationS() > std::int64_t(kMaxSeconds))
        fail("steps", "must last at most a day in all");
    if (auto it = doc.find("interval_s"); it != doc.end())
        s.interval =
            std::chrono::milliseconds(std::llround(number(*it, "interval_s", 0.1, 3600) * 1000));

    if (auto it = doc.find("production"); it != doc.end())
        s.production = simulateOverride(*it, "production").applyTo(gateway::SimulateParams{});
    s.canary = s.production;
    if (auto it = doc.find("canary"); it != doc.end())
        s.canary = simulateOverride(*it, "canary").applyTo(s.production);
    for (const auto *role : {"production", "canary"}) {
        const auto &p = std::string_view(role) == "canary" ? s.canary : s.production;
        if (p.latencyP99Ms < p.latencyP50Ms)
            fail(join(role, "latency_p99_ms"), "must not be below latency_p50_ms");
    }

    if (auto it = doc.find("changes"); it != doc.end()) {
        if (!it->is_array() || it->size() > kMaxChanges)
            fail("changes",
                 "must be an array of at most " + std::to_string(kMaxChanges) + " changes");
        for (std::size_t i = 0; i < it->size(); ++i) {
            const auto where = "changes[" + std::to_string(i) + "]";
            const auto &change = (*it)[i];
            requireObject(change, where, {"at_s", "variant", "simulate"});
            gateway::ScenarioStep step;
            if (!change.contains("at_s"))
                fail(join(where, "at_s"), "is required");
            step.atS = number(change["at_s"], join(where, "at_s"), 0, kMaxSeconds);
            if (!change.contains("variant"))
                fail(join(where, "variant"), "is required");
            const auto &variant = change["variant"];
            const auto role = variant.is_string()
                                  ? variantRoleFromString(variant.get<std::string>())
                                  : std::nullopt;
            if (!role)
                fail(join(where, "variant"), "must be \"production\" or \"canary\"");
            step.variant = *role;
            if (!change.contains("simulate"))
                fail(join(where, "simulate"), "is required");
            step.simulate = simulateOverride(change["simulate"], join(where, "simulate"));
            s.changes.push_back(step);
        }
    }

    if (auto it = doc.find("labels"); it != doc.end()) {
        requireObject(*it, "labels", {"share", "delay_s"});
        if (auto f = it->find("share"); f != it->end())
            s.labelShare = number(*f, "labels.share", 0, 1);
        if (auto f = it->find("delay_s"); f != it->end()) {
            if (f->is_number()) {
                s.labelDelayMinS = s.labelDelayMaxS = number(*f, "labels.delay_s", 0, 86'400);
            } else if (f->is_array() && f->size() == 2) {
                s.labelDelayMinS = number((*f)[0], "labels.delay_s[0]", 0, 86'400);
                s.labelDelayMaxS = number((*f)[1], "labels.delay_s[1]", 0, 86'400);
                if (s.labelDelayMaxS < s.labelDelayMinS)
                    fail("labels.delay_s[1]", "must not be below labels.delay_s[0]");
            } else {
                fail("labels.delay_s", "must be a number of seconds or a range [min, max]");
            }
        }
    }

    if (auto it = doc.find("regression"); it != doc.end() && !it->is_null()) {
        if (it->is_boolean()) {
            if (it->get<bool>())
                s.regressionFromS = 0;
        } else {
            requireObject(*it, "regression", {"from_s"});
            s.regressionFromS = 0;
            if (auto f = it->find("from_s"); f != it->end())
                s.regressionFromS = number(*f, "regression.from_s", 0, double(s.durationS()));
        }
    }
    if (auto it = doc.find("plan"); it != doc.end()) {
        if (!it->is_string() || it->get<std::string>().empty())
            fail("plan", "must be the path of a plan file");
        s.planFile = it->get<std::string>();
    }
    return s;
}

} // namespace

std::int64_t SimulationScenario::durationS() const
{
    std::int64_t total = 0;
    for (const auto &step : steps)
        total += step.durationS;
    return total;
}

Weight SimulationScenario::weightAt(double second) const
{
    double end = 0;
    for (const auto &step : steps) {
        end += double(step.durationS);
        if (second < end)
            return step.weight;
    }
    return steps.empty() ? Weight() : steps.back().weight;
}

SimulationScenario SimulationScenario::healthyTwin() const
{
    SimulationScenario twin = *this;
    twin.canary = production;
    twin.changes.clear();
    for (const auto &change : changes) {
        // Production's changes stay, and the canary follows them: it is production's twin.
        if (change.variant == VariantRole::Production) {
            twin.changes.push_back(change);
            auto mirrored = change;
            mirrored.variant = VariantRole::Canary;
            twin.changes.push_back(mirrored);
        }
    }
    twin.regressionFromS.reset();
    return twin;
}

std::optional<SimulationScenario> parseScenario(std::string_view text, std::string_view source,
                                                std::string *error)
{
    const std::string prefix = std::string(source) + ":";
    JsonParseOptions options;
    options.refuseDuplicateKeys = true;
    JsonParseError parseError;
    const auto doc = parseBoundedJson(text, &parseError, options);
    if (!doc) {
        if (error)
            *error = prefix + (parseError.path.empty() ? " " : " " + parseError.path + ": ") +
                     parseError.reason + " (line " + std::to_string(parseError.line) + ", column " +
                     std::to_string(parseError.column) + ").";
        return std::nullopt;
    }
    try {
        auto scenario = parseDocument(*doc);
        if (scenario.name.empty())
            scenario.name = std::filesystem::path(std::string(source)).stem().string();
        return scenario;
    } catch (const ScenarioError &e) {
        if (error)
            *error = prefix + " " + e.message + ".";
    } catch (const json::exception &e) {
        if (error)
            *error = prefix + " cannot be read: " + e.what() + ".";
    }
    return std::nullopt;
}

std::optional<SimulationScenario> loadScenarioFile(const std::string &path, std::string *error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = "Cannot open the scenario file " + path + ".";
        return std::nullopt;
    }
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, std::size_t(in.gcount()));
        if (text.size() > kMaxScenarioBytes) {
            if (error)
                *error = "The scenario file " + path + " is larger than 1 MiB.";
            return std::nullopt;
        }
    }
    auto scenario = parseScenario(text, path, error);
    if (scenario && !scenario->planFile.empty()) {
        const std::filesystem::path plan(scenario->planFile);
        if (plan.is_relative())
            scenario->planFile =
                (std::filesystem::path(path).parent_path() / plan).lexically_normal().string();
    }
    return scenario;
}

} // namespace canary::simulation
