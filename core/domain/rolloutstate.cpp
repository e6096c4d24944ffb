#include "rolloutstate.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <ctime>

namespace canary {

namespace {

constexpr std::array kPhaseNames{"stable", "canary", "promoted", "rolled_back"};

// Each check returns false and sets *error; callers stop at the first failure.
bool fail(std::string *error, std::string message)
{
    if (error)
        *error = std::move(message);
    return false;
}

bool readString(const nlohmann::json &obj, const char *key, std::string &out, std::string *error,
                const std::string &where)
{
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
        return fail(error, where + "." + key + " must be a string");
    out = it->get<std::string>();
    return true;
}

bool readVariant(const nlohmann::json &json, VariantInfo &out, std::string *error,
                 const std::string &where)
{
    if (!json.is_object())
        return fail(error, where + " must be an object");
    std::string name;
    if (!readString(json, "name", name, error, where))
        return false;
    auto role = variantRoleFromString(name);
    if (!role)
        return fail(error, where + ".name \"" + name + "\" is neither production nor canary");
    out.role = *role;
    if (!readString(json, "model", out.model, error, where) ||
        !readString(json, "version", out.version, error, where))
        return false;
    auto w = json.find("weight");
    if (w == json.end() || !w->is_number())
        return fail(error, where + ".weight must be a number");
    std::string weightError;
    auto weight = Weight::fromPercent(w->get<double>(), &weightError);
    if (!weight)
        return fail(error, where + ".weight: " + weightError);
    out.weight = *weight;
    return true;
}

} // namespace

std::string_view toString(VariantRole role)
{
    return role == VariantRole::Production ? "production" : "canary";
}

std::optional<VariantRole> variantRoleFromString(std::string_view name)
{
    if (name == "production")
        return VariantRole::Production;
    if (name == "canary")
        return VariantRole::Canary;
    return std::nullopt;
}

std::string_view toString(RolloutPhase phase)
{
    return kPhaseNames[static_cast<size_t>(phase)];
}

std::optional<RolloutPhase> rolloutPhaseFromString(std::string_view name)
{
    for (size_t i = 0; i < kPhaseNames.size(); ++i) {
        if (name == kPhaseNames[i])
            return static_cast<RolloutPhase>(i);
    }
    return std::nullopt;
}

std::string formatRfc3339(SystemTime time)
{
    const auto ms = time.time_since_epoch().count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    long millis = static_cast<long>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        --seconds;
    }
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

std::optional<SystemTime> parseRfc3339(std::string_view text)
{
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
    auto digits = [&](size_t pos, size_t count, int &out) {
        if (pos + count > text.size())
            return false;
        int v = 0;
        for (size_t i = pos; i < pos + count; ++i) {
            if (text[i] < '0' || text[i] > '9')
                return false;
            v = v * 10 + (text[i] - '0');
        }
        out = v;
        return true;
    };
    int year, month, day, hour, minute, second;
    if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, month) ||
        text[7] != '-' || !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
        !digits(11, 2, hour) || text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' ||
        !digits(17, 2, second))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    size_t pos = 19;
    long millis = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        long scale = 100;
        size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            millis += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start)
            return std::nullopt;
    }
    long offsetMinutes = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh, om;
        if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !digits(pos + 4, 2, om))
            return std::nullopt;
        offsetMinutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size())
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t seconds = timegm(&tm);
    const auto ms = static_cast<std::int64_t>(seconds) * 1000 + millis - offsetMinutes * 60'000;
    return SystemTime(std::chrono::milliseconds(ms));
}

nlohmann::json toJson(const RolloutState &state)
{
    auto variant = [](const VariantInfo &v) {
        return nlohmann::json{{"name", toString(v.role)},
                              {"model", v.model},
                              {"version", v.version},
                              {"weight", v.weight.percent()}};
    };
    nlohmann::json variants = nlohmann::json::array({variant(state.production)});
    if (state.canary)
        variants.push_back(variant(*state.canary));
    return {{"revision", state.revision},
            {"state", toString(state.phase)},
            {"variants", std::move(variants)},
            {"updated_at", formatRfc3339(state.updatedAt)}};
}

std::optional<RolloutState> rolloutStateFromJson(const nlohmann::json &json, std::string *error)
{
    RolloutState state;
    if (!json.is_object()) {
        fail(error, "the rollout document must be a JSON object");
        return std::nullopt;
    }
    auto rev = json.find("revision");
    if (rev == json.end() || !rev->is_number_integer() || rev->get<std::int64_t>() < 0) {
        fail(error, "revision must be a non-negative integer");
        return std::nullopt;
    }
    state.revision = rev->get<std::int64_t>();

    std::string phase;
    if (!readString(json, "state", phase, error, "rollout"))
        return std::nullopt;
    auto parsedPhase = rolloutPhaseFromString(phase);
    if (!parsedPhase) {
        fail(error, "rollout.state \"" + phase +
                        "\" is not one of stable, canary, promoted, "
                        "rolled_back");
        return std::nullopt;
    }
    state.phase = *parsedPhase;

    std::string updated;
    if (!readString(json, "updated_at", updated, error, "rollout"))
        return std::nullopt;
    auto updatedAt = parseRfc3339(updated);
    if (!updatedAt) {
        fail(error, "rollout.updated_at \"" + updated + "\" is not an RFC 3339 timestamp");
        return std::nullopt;
    }
    state.updatedAt = *updatedAt;

    auto variants = json.find("variants");
    if (variants == json.end() || !variants->is_array() || variants->empty() ||
        variants->size() > 2) {
        fail(error, "rollout.variants must be an array of one or two variants");
        return std::nullopt;
    }
    bool haveProduction = false;
    for (size_t i = 0; i < variants->size(); ++i) {
        VariantInfo v;
        if (!readVariant((*variants)[i], v, error, "variants[" + std::to_string(i) + "]"))
            return std::nullopt;
        if (v.role == VariantRole::Production) {
            if (haveProduction) {
                fail(error, "rollout.variants lists production twice");
                return std::nullopt;
            }
            haveProduction = true;
            state.production = std::move(v);
        } else {
            if (state.canary) {
                fail(error, "rollout.variants lists canary twice");
                return std::nullopt;
            }
            state.canary = std::move(v);
        }
    }
    if (!haveProduction) {
        fail(error, "rollout.variants has no production variant");
        return std::nullopt;
    }
    if (state.production.weight.tenths() + state.canaryWeight().tenths() != Weight::kMaxTenths) {
        fail(error, "the weights of production and canary do not add up to 100");
        return std::nullopt;
    }
    return state;
}

} // namespace canary
