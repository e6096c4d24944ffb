#include "gatewayconfig.h"

#include "util/boundedjson.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace canary::gateway {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxConfigBytes = 1 << 20;
constexpr std::size_t kMaxNameLength = 128;
constexpr double kMaxLatencyMs = 60'000;

// Thrown only inside this file and turned into the `error` string at the API boundary.
struct ConfigError
{
    std::string message;
};

std::string join(const std::string &where, std::string_view field)
{
    return where.empty() ? std::string(field) : where + "." + std::string(field);
}

[[noreturn]] void fail(const std::string &field, const std::string &problem)
{
    throw ConfigError{field.empty() ? problem : field + ": " + problem};
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

std::int64_t integer(const json &value, const std::string &field, std::int64_t min,
                     std::int64_t max)
{
    if (!value.is_number_integer())
        fail(field, "must be an integer");
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t(max))
        fail(field, "must be at most " + std::to_string(max));
    const auto v = value.get<std::int64_t>();
    if (v < min || v > max)
        fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", got " + std::to_string(v));
    return v;
}

std::string name(const json &value, const std::string &field)
{
    if (!value.is_string())
        fail(field, "must be a string");
    auto s = value.get<std::string>();
    if (s.empty() || s.size() > kMaxNameLength)
        fail(field, "must be 1 to 128 characters long");
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f)
            fail(field, "must contain printable characters only");
    }
    return s;
}

SimulateOverride parseOverride(const json &value, const std::string &where)
{
    requireObject(value, where,
                  {"latency_p50_ms", "latency_p99_ms", "error_rate", "accuracy", "slow_share",
                   "slow_factor"});
    SimulateOverride o;
    if (auto it = value.find("latency_p50_ms"); it != value.end())
        o.latencyP50Ms = number(*it, join(where, "latency_p50_ms"), 0.001, kMaxLatencyMs);
    if (auto it = value.find("latency_p99_ms"); it != value.end())
        o.latencyP99Ms = number(*it, join(where, "latency_p99_ms"), 0.001, kMaxLatencyMs);
    if (auto it = value.find("error_rate"); it != value.end())
        o.errorRate = number(*it, join(where, "error_rate"), 0.0, 1.0);
    if (auto it = value.find("accuracy"); it != value.end())
        o.accuracy = number(*it, join(where, "accuracy"), 0.0, 1.0);
    if (auto it = value.find("slow_share"); it != value.end())
        o.slowShare = number(*it, join(where, "slow_share"), 0.0, 1.0);
    if (auto it = value.find("slow_factor"); it != value.end())
        o.slowFactor = number(*it, join(where, "slow_factor"), 1.0, 1000.0);
    if (o.latencyP50Ms && o.latencyP99Ms && *o.latencyP99Ms < *o.latencyP50Ms)
        fail(join(where, "latency_p99_ms"), "must not be below latency_p50_ms");
    return o;
}

void checkPercentiles(const SimulateParams &p, const std::string &where)
{
    if (p.latencyP99Ms < p.latencyP50Ms)
        fail(join(where, "latency_p99_ms"), "must not be below latency_p50_ms");
}

VariantSettings parseVariant(const json &value, const std::string &where,
                             const VariantSettings *fallback, bool allowWeight)
{
    if (allowWeight)
        requireObject(value, where,
                      {"model", "version", "simulate", "upstream", "timeout_ms", "weight"});
    else
        requireObject(value, where, {"model", "version", "simulate", "upstream", "timeout_ms"});
    VariantSettings v;
    auto model = value.find("model");
    if (model == value.end())
        fail(join(where, "model"), "is required");
    v.model = name(*model, join(where, "model"));
    auto version = value.find("version");
    if (version == value.end())
        fail(join(where, "version"), "is required");
    v.version = name(*version, join(where, "version"));

    auto simulate = value.find("simulate");
    auto upstream = value.find("upstream");
    if (simulate != value.end() && upstream != value.end())
        fail(where, "give either simulate or upstream, not both");
    if (simulate == value.end() && upstream == value.end() && fallback) {
        v.simulate = fallback->simulate;
        v.upstream = fallback->upstream;
        v.timeoutMs = fallback->timeoutMs;
    }
    if (simulate != value.end()) {
        const auto field = join(where, "simulate");
        v.simulate = parseOverride(*simulate, field).applyTo(SimulateParams{});
        checkPercentiles(v.simulate, field);
    }
    if (upstream != value.end()) {
        const auto field = join(where, "upstream");
        if (!upstream->is_string())
            fail(field, "must be a string");
        std::string problem;
        auto url = parseUpstreamUrl(upstream->get<std::string>(), &problem);
        if (!url)
            fail(field, problem);
        v.upstream = std::move(*url);
    }
    if (auto it = value.find("timeout_ms"); it != value.end())
        v.timeoutMs = int(integer(*it, join(where, "timeout_ms"), 1, 600'000));
    return v;
}

GatewayConfig parseConfig(const json &doc)
{
    requireObject(doc, "",
                  {"seed", "routing_salt", "production", "canary", "scenario", "feedback", "load"});
    GatewayConfig c;
    if (auto it = doc.find("seed"); it != doc.end()) {
        if (!it->is_number_integer())
            fail("seed", "must be an integer");
        c.seed = it->is_number_unsigned() ? it->get<std::uint64_t>()
                                          : std::uint64_t(it->get<std::int64_t>());
    }
    if (auto it = doc.find("routing_salt"); it != doc.end()) {
        if (!it->is_string() || it->get<std::string>().size() > 256)
            fail("routing_salt", "must be a string of at most 256 bytes");
        c.routingSalt = it->get<std::string>();
    }
    auto production = doc.find("production");
    if (production == doc.end())
        fail("production", "is required");
    c.production = parseVariant(*production, "production", nullptr, false);
    if (auto it = doc.find("canary"); it != doc.end()) {
        c.canary = parseVariant(*it, "canary", &c.production, true);
        if (auto w = it->find("weight"); w != it->end()) {
            if (!w->is_number())
                fail("canary.weight", "must be a number");
            std::string problem;
            auto weight = Weight::fromPercent(w->get<double>(), &problem);
            if (!weight)
                fail("canary.weight", problem);
            c.canaryWeight = *weight;
        }
    }
    if (auto it = doc.find("scenario"); it != doc.end()) {
        if (!it->is_array())
            fail("scenario", "must be an array");
        if (it->size() > 1000)
            fail("scenario", "must have at most 1000 steps");
        for (std::size_t i = 0; i < it->size(); ++i) {
            const auto where = "scenario[" + std::to_string(i) + "]";
            const auto &step = (*it)[i];
            requireObject(step, where, {"at_s", "variant", "simulate"});
            ScenarioStep s;
            auto at = step.find("at_s");
            if (at == step.end())
                fail(join(where, "at_s"), "is required");
            s.atS = number(*at, join(where, "at_s"), 0, 365.0 * 24 * 3600);
            auto variant = step.find("variant");
            if (variant == step.end())
                fail(join(where, "variant"), "is required");
            auto role = variant->is_string() ? variantRoleFromString(variant->get<std::string>())
                                             : std::nullopt;
            if (!role)
                fail(join(where, "variant"), "must be \"production\" or \"canary\"");
            s.variant = *role;
            auto simulate = step.find("simulate");
            if (simulate == step.end())
                fail(join(where, "simulate"), "is required");
            s.simulate = parseOverride(*simulate, join(where, "simulate"));
            c.scenario.push_back(s);
        }
    }
    if (auto it = doc.find("feedback"); it != doc.end()) {
        requireObject(*it, "feedback", {"capacity", "ttl_s"});
        if (auto f = it->find("capacity"); f != it->end())
            c.feedback.capacity = std::size_t(integer(*f, "feedback.capacity", 1, 10'000'000));
        if (auto f = it->find("ttl_s"); f != it->end())
            c.feedback.ttlS = int(integer(*f, "feedback.ttl_s", 1, 7 * 24 * 3600));
    }
    if (auto it = doc.find("load"); it != doc.end()) {
        requireObject(*it, "load", {"rps", "labelled_share", "feedback_delay_ms"});
        if (auto f = it->find("rps"); f != it->end())
            c.load.rps = number(*f, "load.rps", 0, 100'000);
        if (auto f = it->find("labelled_share"); f != it->end())
            c.load.labelledShare = number(*f, "load.labelled_share", 0, 1);
        if (auto f = it->find("feedback_delay_ms"); f != it->end())
            c.load.feedbackDelayMs = int(integer(*f, "load.feedback_delay_ms", 0, 3'600'000));
    }
    return c;
}

} // namespace

SimulateParams SimulateOverride::applyTo(SimulateParams base) const
{
    if (latencyP50Ms)
        base.latencyP50Ms = *latencyP50Ms;
    if (latencyP99Ms)
        base.latencyP99Ms = *latencyP99Ms;
    if (errorRate)
        base.errorRate = *errorRate;
    if (accuracy)
        base.accuracy = *accuracy;
    if (slowShare)
        base.slowShare = *slowShare;
    if (slowFactor)
        base.slowFactor = *slowFactor;
    // A step that moves only p50 above the old p99 would make an impossible distribution.
    if (base.latencyP99Ms < base.latencyP50Ms)
        base.latencyP99Ms = base.latencyP50Ms;
    return base;
}

GatewayConfig GatewayConfig::demo()
{
    GatewayConfig c;
    c.routingSalt = "canary-demo";
    c.production = {"fraud-model", "2.3.0", {40, 120, 0.005, 0.92}, std::nullopt, 2000};
    c.canary = VariantSettings{"fraud-model", "2.4.0", {35, 110, 0.004, 0.94}, std::nullopt, 2000};
    c.canaryWeight = Weight::fromTenths(100);
    return c;
}

std::optional<UpstreamUrl> parseUpstreamUrl(std::string_view text, std::string *error)
{
    auto bad = [&](const std::string &problem) -> std::optional<UpstreamUrl> {
        if (error)
            *error = problem;
        return std::nullopt;
    };
    constexpr std::string_view scheme = "http://";
    if (text.size() > 2048)
        return bad("must be at most 2048 characters long");
    if (text.substr(0, scheme.size()) != scheme)
        return bad("must be an http:// URL (https is not supported)");
    for (unsigned char c : text) {
        if (c <= 0x20 || c >= 0x7f)
            return bad("must not contain spaces or control characters");
    }
    UpstreamUrl url;
    url.text = std::string(text);
    auto rest = text.substr(scheme.size());
    const auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        return bad("must not contain user information");
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return bad("has an unterminated IPv6 address");
        host = authority.substr(1, close - 1);
        authority = authority.substr(close + 1);
        if (!authority.empty() && authority.front() != ':')
            return bad("has garbage after the IPv6 address");
    } else {
        const auto colon = authority.rfind(':');
        host = authority.substr(0, colon);
        authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    }
    if (host.empty())
        return bad("has no host");
    url.host = std::string(host);
    if (!authority.empty()) {
        auto port = authority.substr(1);
        if (port.empty() || port.size() > 5)
            return bad("has an invalid port");
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9')
                return bad("has an invalid port");
            value = value * 10 + unsigned(c - '0');
        }
        if (value == 0 || value > 65535)
            return bad("has a port outside 1-65535");
        url.port = std::uint16_t(value);
    }
    return url;
}

std::optional<VariantSettings> parseVariantSettings(const nlohmann::json &json,
                                                    const std::string &where,
                                                    const VariantSettings *fallback,
                                                    std::string *error)
{
    try {
        return parseVariant(json, where, fallback, false);
    } catch (const ConfigError &e) {
        if (error)
            *error = e.message;
    }
    return std::nullopt;
}

std::optional<SimulateOverride> parseSimulateOverride(const nlohmann::json &json,
                                                      const std::string &where, std::string *error)
{
    try {
        return parseOverride(json, where);
    } catch (const ConfigError &e) {
        if (error)
            *error = e.message;
    }
    return std::nullopt;
}

std::optional<GatewayConfig> parseGatewayConfig(std::string_view text, std::string_view source,
                                                std::string *error)
{
    const std::string prefix = std::string(source) + ":";
    // Duplicate keys are refused: with "last wins" a second "production" would silently replace
    // the first and the unknown-field check could never see a misspelt copy.
    JsonParseOptions options;
    options.refuseDuplicateKeys = true;
    JsonParseError parseError;
    const auto doc = parseBoundedJson(text, &parseError, options);
    if (!doc) {
        if (error)
            *error = prefix + (parseError.path.empty() ? " " : parseError.path + ": ") +
                     parseError.reason + " (line " + std::to_string(parseError.line) + ", column " +
                     std::to_string(parseError.column) + ")";
        return std::nullopt;
    }
    try {
        return parseConfig(*doc);
    } catch (const ConfigError &e) {
        if (error)
            *error = prefix + e.message;
    } catch (const json::exception &e) {
        // Every field is type-checked before it is read, so this is a bug here; still the
        // caller gets an error, not an exception.
        if (error)
            *error = prefix + " cannot be read: " + e.what();
    }
    return std::nullopt;
}

std::optional<GatewayConfig> loadGatewayConfigFile(const std::string &path, std::string *error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = path + ": cannot be opened for reading";
        return std::nullopt;
    }
    std::string text;
    text.resize(kMaxConfigBytes + 1);
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
        if (error)
            *error = path + ": larger than 1 MiB, refusing to read it";
        return std::nullopt;
    }
    return parseGatewayConfig(text, path, error);
}

} // namespace canary::gateway
