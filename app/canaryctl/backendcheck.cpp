#include "backendcheck.h"

#include "domain/rolloutstate.h"
#include "domain/weight.h"
#include "metrics/expositionparser.h"
#include "metrics/kpi.h"
#include "util/boundedjson.h"

#include <QEventLoop>

#include <array>
#include <cctype>

namespace canary::ctl {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxMetricsBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
constexpr std::size_t kMaxTextLength = 128; // model and version, in characters

std::string joined(const std::vector<std::string> &parts, const char *separator = "; ")
{
    std::string out;
    for (const auto &part : parts)
        out += (out.empty() ? "" : separator) + part;
    return out;
}

std::string quoted(const std::string &text)
{
    return "\"" + text + "\"";
}

// A JSON value as it came, cut short when long, for "got ..." in a failure.
std::string shown(const json &value)
{
    std::string text = value.dump();
    if (text.size() > 80)
        text = text.substr(0, 77) + "...";
    return text;
}

std::optional<std::int64_t> revisionOf(const json &document)
{
    if (!document.is_object())
        return std::nullopt;
    auto it = document.find("revision");
    if (it == document.end() || !it->is_number_integer())
        return std::nullopt;
    return it->get<std::int64_t>();
}

const json *variantNamed(const json &document, std::string_view name)
{
    if (!document.is_object() || !document.contains("variants") || !document["variants"].is_array())
        return nullptr;
    for (const auto &variant : document["variants"]) {
        if (variant.is_object() && variant.contains("name") && variant["name"] == name)
            return &variant;
    }
    return nullptr;
}

std::string stringMember(const json &object, const char *key)
{
    if (!object.is_object())
        return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<double> weightOf(const json &document, std::string_view variant)
{
    const json *v = variantNamed(document, variant);
    if (!v || !v->contains("weight") || !(*v)["weight"].is_number())
        return std::nullopt;
    return (*v)["weight"].get<double>();
}

std::string weightText(std::optional<double> weight)
{
    if (!weight)
        return "none";
    if (auto w = Weight::fromPercent(*weight))
        return w->toString();
    return json(*weight).dump();
}

// 1–128 printable characters (docs/control-api.md 2.1): no control characters, valid UTF-8.
std::string textProblem(const std::string &text)
{
    std::size_t characters = 0;
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7F)
            return "holds a control character";
        if ((c & 0xC0) != 0x80)
            ++characters;
    }
    if (characters == 0)
        return "is empty";
    if (characters > kMaxTextLength)
        return "has " + std::to_string(characters) + " characters, more than 128";
    return {};
}

bool startsWith(const std::string &text, std::string_view prefix)
{
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

std::string statusText(const HttpResponse &response)
{
    if (!response.answered())
        return "no answer (" + response.transportError + ")";
    std::string text = std::to_string(response.status);
    const std::string type = response.header("content-type");
    if (!type.empty())
        text += " " + type;
    return text;
}

// What is wrong with an error answer as an RFC 9457 problem document (docs/control-api.md 4).
std::string problemDocumentProblems(const HttpResponse &response, const json &body)
{
    std::vector<std::string> problems;
    if (!startsWith(response.header("content-type"), "application/problem+json"))
        problems.push_back("Content-Type is \"" + response.header("content-type") +
                           "\", expected application/problem+json");
    if (!body.is_object()) {
        problems.push_back("the body is not a JSON object");
    } else {
        if (!body.contains("type") || !body["type"].is_string())
            problems.push_back("no string member \"type\"");
        if (!body.contains("title") || !body["title"].is_string())
            problems.push_back("no string member \"title\"");
        if (!body.contains("status") || !body["status"].is_number_integer())
            problems.push_back("no integer member \"status\"");
        else if (body["status"].get<long>() != response.status)
            problems.push_back("member \"status\" is " + body["status"].dump() +
                               " but the HTTP status is " + std::to_string(response.status));
    }
    return joined(problems);
}

struct RequiredMetric
{
    std::string_view name;
    metrics::MetricType type;
};

constexpr std::array kRequiredMetrics{
    RequiredMetric{metrics::names::kRequests, metrics::MetricType::Counter},
    RequiredMetric{metrics::names::kErrors, metrics::MetricType::Counter},
    RequiredMetric{metrics::names::kDuration, metrics::MetricType::Histogram},
    RequiredMetric{metrics::names::kFeedback, metrics::MetricType::Counter},
    RequiredMetric{metrics::names::kCorrect, metrics::MetricType::Counter},
    RequiredMetric{metrics::names::kWeight, metrics::MetricType::Gauge},
};

// 0.0.4 names a counter's family with its _total; OpenMetrics without it.
const metrics::MetricFamily *findFamily(const metrics::Exposition &exposition,
                                        std::string_view name)
{
    if (const auto *family = exposition.family(name))
        return family;
    if (name.ends_with("_total"))
        return exposition.family(name.substr(0, name.size() - 6));
    return nullptr;
}

std::string seriesText(const metrics::Sample &sample)
{
    std::string text = sample.name + "{";
    for (std::size_t i = 0; i < sample.labels.size(); ++i)
        text += (i ? "," : "") + sample.labels[i].name + "=\"" + sample.labels[i].value + "\"";
    return text + "}";
}

std::string firstParseError(const metrics::Exposition &exposition)
{
    const auto &error = exposition.errors.front();
    std::string text = "line " + std::to_string(error.line) + ":" + std::to_string(error.column) +
                       ": " + error.message;
    if (exposition.errors.size() > 1)
        text += " (and " + std::to_string(exposition.errors.size() - 1) + " more problems)";
    return text;
}

} // namespace

std::string DocumentProblems::summary() const
{
    std::vector<std::string> all = shape;
    all.insert(all.end(), weights.begin(), weights.end());
    all.insert(all.end(), state.begin(), state.end());
    return joined(all);
}

DocumentProblems inspectRolloutDocument(const json &document)
{
    DocumentProblems found;
    auto &shape = found.shape;
    if (!document.is_object()) {
        shape.push_back("the rollout document is not a JSON object");
        return found;
    }

    if (!document.contains("revision"))
        shape.push_back("member \"revision\" is missing");
    else if (!document["revision"].is_number_integer())
        shape.push_back("\"revision\" must be an integer, got " + shown(document["revision"]));
    else if (document["revision"].get<std::int64_t>() < 1)
        shape.push_back("\"revision\" must be at least 1, got " + shown(document["revision"]));

    std::optional<RolloutPhase> phase;
    if (!document.contains("state") || !document["state"].is_string()) {
        shape.push_back("member \"state\" must be a string");
    } else {
        phase = rolloutPhaseFromString(document["state"].get<std::string>());
        if (!phase)
            shape.push_back("\"state\" " + shown(document["state"]) +
                            " is not one of stable, canary, promoted, rolled_back");
    }

    if (!document.contains("updated_at") || !document["updated_at"].is_string())
        shape.push_back("member \"updated_at\" must be a string");
    else if (!parseRfc3339(document["updated_at"].get<std::string>()))
        shape.push_back("\"updated_at\" " + shown(document["updated_at"]) +
                        " is not an RFC 3339 time");

    const json *variants = document.contains("variants") ? &document["variants"] : nullptr;
    if (!variants || !variants->is_array() || variants->empty() || variants->size() > 2) {
        shape.push_back("\"variants\" must be an array of 1 or 2 variants, got " +
                        (variants ? shown(*variants) : std::string("nothing")));
        return found;
    }
    std::optional<Weight> production;
    std::optional<Weight> canary;
    bool canaryListed = false;
    bool productionListed = false;
    for (std::size_t i = 0; i < variants->size(); ++i) {
        const json &v = (*variants)[i];
        const std::string where = "variants[" + std::to_string(i) + "]";
        if (!v.is_object()) {
            shape.push_back(where + " is not an object");
            continue;
        }
        const std::string name = stringMember(v, "name");
        const auto role = variantRoleFromString(name);
        if (!role) {
            shape.push_back(where + ".name " + (v.contains("name") ? shown(v["name"]) : "(none)") +
                            " is neither \"production\" nor \"canary\"");
            continue;
        }
        bool &listed = *role == VariantRole::Production ? productionListed : canaryListed;
        if (listed)
            shape.push_back("variants list " + name + " twice");
        listed = true;
        for (const char *key : {"model", "version"}) {
            if (!v.contains(key) || !v[key].is_string())
                shape.push_back(where + "." + key + " must be a string");
            else if (const auto problem = textProblem(v[key].get<std::string>()); !problem.empty())
                shape.push_back(where + "." + key + " " + problem +
                                " (it must be 1-128 printable characters)");
        }
        if (!v.contains("weight") || !v["weight"].is_number()) {
            shape.push_back(where + ".weight must be a number");
            continue;
        }
        std::string why;
        const auto weight = Weight::fromPercent(v["weight"].get<double>(), &why);
        if (!weight)
            found.weights.push_back(where + ": " + why);
        (*role == VariantRole::Production ? production : canary) = weight;
    }
    if (!productionListed)
        shape.push_back("no production variant is listed");

    if (production && (canary || !canaryListed)) {
        const int sum = production->tenths() + (canary ? canary->tenths() : 0);
        if (sum != Weight::kMaxTenths)
            found.weights.push_back("the weights add up to " + std::to_string(sum / 10) + "." +
                                    std::to_string(sum % 10) + ", not 100 (production " +
                                    production->toString() +
                                    (canary ? ", canary " + canary->toString() : "") + ")");
    }

    if (phase) {
        const std::string state(toString(*phase));
        const bool slotEmpty = *phase == RolloutPhase::Stable || *phase == RolloutPhase::Promoted;
        if (slotEmpty && canaryListed)
            found.state.push_back("state \"" + state +
                                  "\" means the canary slot is empty, but a canary entry is "
                                  "listed: " +
                                  shown(*variantNamed(document, "canary")));
        if (!slotEmpty && !canaryListed)
            found.state.push_back("state \"" + state +
                                  "\" needs a canary entry, but none is listed");
        if (*phase == RolloutPhase::RolledBack && canary && !canary->isZero())
            found.state.push_back("state \"rolled_back\" needs the canary at 0 %, not " +
                                  canary->toString() + " %");
    }
    return found;
}

MetricsProblems inspectMetrics(const metrics::Exposition &exposition)
{
    MetricsProblems found;
    int unlabelled = 0;
    for (const auto &required : kRequiredMetrics) {
        const auto *family = findFamily(exposition, required.name);
        const std::string name(required.name);
        if (!family) {
            found.families.push_back(name + " is missing");
            continue;
        }
        if (family->type != required.type) {
            found.families.push_back(
                name + " has type " + std::string(metrics::metricTypeName(family->type)) +
                ", expected " + std::string(metrics::metricTypeName(required.type)));
        }
        for (const auto &sample : family->samples) {
            ++found.series;
            const std::string *variant = sample.label(metrics::names::kVariantLabel);
            const std::string *version = sample.label(metrics::names::kVersionLabel);
            std::string problem;
            if (!variant)
                problem = "has no variant label";
            else if (!variantRoleFromString(*variant))
                problem = "has variant=\"" + *variant + "\", expected production or canary";
            else if (!version || version->empty())
                problem = "has no version label";
            if (problem.empty())
                continue;
            if (++unlabelled <= 3)
                found.labels.push_back(seriesText(sample) + " " + problem);
        }
    }
    if (unlabelled > 3)
        found.labels.push_back("and " + std::to_string(unlabelled - 3) + " more series");
    return found;
}

BackendCheck::BackendCheck(HttpTransport *transport, Settings settings, OnCheck onCheck,
                           OnNote onNote)
    : m_transport(transport)
    , m_settings(std::move(settings))
    , m_onCheck(std::move(onCheck))
    , m_onNote(std::move(onNote))
{
    while (!m_settings.endpoint.baseUrl.empty() && m_settings.endpoint.baseUrl.back() == '/')
        m_settings.endpoint.baseUrl.pop_back();
    if (m_settings.metricsUrl.empty())
        m_settings.metricsUrl = m_settings.endpoint.baseUrl + "/metrics";
}

BackendCheck::Answer BackendCheck::send(const Call &call)
{
    return sendToUrl(call, m_settings.endpoint.baseUrl + call.path);
}

BackendCheck::Answer BackendCheck::sendToUrl(const Call &call, const std::string &url)
{
    HttpRequest request;
    request.method = call.method;
    request.url = url;
    request.timeout = m_settings.endpoint.timeout;
    request.verifyTls = m_settings.endpoint.verifyTls;
    request.maxResponseBytes = kMaxMetricsBytes;
    request.headers.emplace_back("Accept", call.accept);
    if (call.ifMatch)
        request.headers.emplace_back("If-Match", *call.ifMatch);
    if (call.token)
        request.headers.emplace_back("Authorization", "Bearer " + *call.token);
    if (std::string_view(call.method) != "GET") {
        request.headers.emplace_back("Content-Type", call.contentType);
        request.body = call.body;
    }
    // The checks run one after another, each deciding on the last answer: wait for each here.
    QEventLoop loop;
    Answer answer;
    m_transport->send(std::move(request), &loop, [&](HttpResponse response) {
        answer.response = std::move(response);
        loop.quit();
    });
    loop.exec();
    if (answer.response.answered() && answer.response.body.size() <= kMaxDocumentBytes)
        answer.json =
            canary::parseBoundedJson(answer.response.body).value_or(json(json::value_t::discarded));
    else
        answer.json = json(json::value_t::discarded);
    return answer;
}

void BackendCheck::record(const std::string &name, bool passed, const std::string &detail)
{
    ++m_checks;
    if (!passed)
        ++m_failures;
    m_onCheck(CheckOutcome{name, passed, detail});
}

std::int64_t BackendCheck::currentRevision() const
{
    return revisionOf(m_current).value_or(0);
}

std::optional<json> BackendCheck::readDocument(std::string *why)
{
    Call call;
    call.path = "/v1/rollout";
    const Answer answer = send(call);
    if (!answer.is(200) || !answer.json.is_object()) {
        if (why)
            *why = "GET /v1/rollout gave " + statusText(answer.response);
        return std::nullopt;
    }
    if (revisionOf(answer.json))
        m_current = answer.json;
    return answer.json;
}

BackendCheck::Verdict BackendCheck::run()
{
    m_checks = 0;
    m_failures = 0;
    if (!checkDocument())
        return Verdict::Unreachable;
    checkProblemDocument();
    checkMetrics();
    if (m_settings.mutating)
        runMutating();
    return m_failures == 0 ? Verdict::Conforms : Verdict::Deviates;
}

bool BackendCheck::checkDocument()
{
    Call call;
    call.path = "/v1/rollout";
    const Answer answer = send(call);
    if (!answer.response.answered()) {
        record("rollout-read", false,
               "expected an answer to GET /v1/rollout, got none: " +
                   answer.response.transportError);
        return false;
    }
    std::vector<std::string> readProblems;
    if (answer.response.status != 200)
        readProblems.push_back("expected status 200, got " + statusText(answer.response));
    if (!startsWith(answer.response.header("content-type"), "application/json"))
        readProblems.push_back("expected Content-Type application/json, got \"" +
                               answer.response.header("content-type") + "\"");
    if (!answer.json.is_object())
        readProblems.push_back("the body is not a JSON object");
    record("rollout-read", readProblems.empty(),
           readProblems.empty() ? "GET /v1/rollout: 200 application/json" : joined(readProblems));

    if (!answer.json.is_object()) {
        for (const char *name : {"rollout-document", "rollout-weights", "rollout-state", "etag"})
            record(name, false, "not checked: no rollout document came");
        return true;
    }
    const DocumentProblems problems = inspectRolloutDocument(answer.json);
    const json &doc = answer.json;
    auto describe = [&](const char *variant) {
        const json *v = variantNamed(doc, variant);
        return v ? stringMember(*v, "model") + " " + stringMember(*v, "version") + " at " +
                       weightText(weightOf(doc, variant)) + " %"
                 : std::string("(none)");
    };
    record("rollout-document", problems.shape.empty(),
           problems.shape.empty()
               ? "revision " + doc["revision"].dump() + ", state " + doc["state"].dump() +
                     ", every member the spec requires, with the right types"
               : joined(problems.shape));
    record("rollout-weights", problems.weights.empty(),
           problems.weights.empty()
               ? "production " + describe("production") + ", canary " + describe("canary")
               : joined(problems.weights));
    record("rollout-state", problems.state.empty(),
           problems.state.empty() ? "state " + stringMember(doc, "state") + " fits the variants"
                                  : joined(problems.state));

    const auto revision = revisionOf(doc);
    const std::string etag = answer.response.header("etag");
    const std::string expected = revision ? quoted(std::to_string(*revision)) : "?";
    if (!revision)
        record("etag", false, "not checked: the document has no integer revision");
    else
        record("etag", etag == expected,
               etag == expected ? "ETag " + etag + " matches the revision"
                                : "expected ETag " + expected + ", got " +
                                      (etag.empty() ? std::string("none") : quoted(etag)));
    if (revision)
        m_current = doc;
    return true;
}

void BackendCheck::checkProblemDocument()
{
    Call call;
    call.path = kMissingPath;
    const Answer answer = send(call);
    std::string problems;
    if (!answer.is(404))
        problems = "expected 404, got " + statusText(answer.response);
    else
        problems = problemDocumentProblems(answer.response, answer.json);
    record("problem-json", problems.empty(),
           problems.empty()
               ? "GET " + std::string(kMissingPath) + ": 404 application/problem+json, type " +
                     stringMember(answer.json, "type")
               : "GET " + std::string(kMissingPath) + ": " + problems);
}

void BackendCheck::checkMetrics()
{
    struct Format
    {
        const char *check;
        const char *accept;
        std::string_view contentType;
        metrics::ExpositionFormat grammar;
    };
    const Format formats[] = {
        {"metrics-text", "text/plain; version=0.0.4", "text/plain",
         metrics::ExpositionFormat::PrometheusText},
        {"metrics-openmetrics", "application/openmetrics-text; version=1.0.0",
         "application/openmetrics-text", metrics::ExpositionFormat::OpenMetrics},
    };
    std::optional<metrics::Exposition> parsed;
    for (const Format &format : formats) {
        Call call;
        call.accept = format.accept;
        const Answer answer = sendToUrl(call, m_settings.metricsUrl);
        const std::string what =
            std::string("GET ") + m_settings.metricsUrl + " (Accept: " + format.accept + ")";
        if (!answer.is(200)) {
            record(format.check, false,
                   what + ": expected 200, got " + statusText(answer.response));
            continue;
        }
        std::vector<std::string> problems;
        const std::string type = answer.response.header("content-type");
        if (!startsWith(type, format.contentType))
            problems.push_back("expected Content-Type " + std::string(format.contentType) +
                               ", got \"" + type + "\"");
        auto exposition = metrics::parseExposition(answer.response.body, format.grammar);
        if (!exposition.ok())
            problems.push_back("does not parse: " + firstParseError(exposition));
        std::size_t samples = 0;
        for (const auto &family : exposition.families)
            samples += family.samples.size();
        record(format.check, problems.empty(),
               problems.empty() ? std::to_string(exposition.families.size()) + " families, " +
                                      std::to_string(samples) + " samples, " + type
                                : joined(problems));
        if (exposition.ok() && !parsed)
            parsed = std::move(exposition);
    }
    if (!parsed) {
        for (const char *name : {"metrics-names", "metrics-labels"})
            record(name, false, "not checked: neither exposition format parsed");
        return;
    }
    const MetricsProblems problems = inspectMetrics(*parsed);
    record("metrics-names", problems.families.empty(),
           problems.families.empty() ? "all six metrics the console reads, with their types"
                                     : joined(problems.families));
    record("metrics-labels", problems.labels.empty(),
           problems.labels.empty() ? std::to_string(problems.series) +
                                         " series, each with variant production|canary and a "
                                         "version"
                                   : joined(problems.labels));
}

// --- mutating checks ------------------------------------------------------------------------

std::optional<json> BackendCheck::apply(const char *method, const std::string &path,
                                        const std::string &body, std::string *why,
                                        std::optional<std::int64_t> revision)
{
    Call call;
    call.method = method;
    call.path = path;
    call.body = body;
    call.ifMatch = quoted(std::to_string(revision.value_or(currentRevision())));
    call.token = m_settings.endpoint.token;
    const Answer answer = send(call);
    const std::string what = std::string(method) + " " + path + " " + body;
    if (!answer.is(200)) {
        std::string text = what + ": expected 200, got " + statusText(answer.response);
        if (const std::string detail = stringMember(answer.json, "detail"); !detail.empty())
            text += " (" + detail + ")";
        *why = text;
        return std::nullopt;
    }
    if (!answer.json.is_object()) {
        *why = what + ": the answer is not a JSON document";
        return std::nullopt;
    }
    std::vector<std::string> problems;
    const DocumentProblems document = inspectRolloutDocument(answer.json);
    if (!document.none())
        problems.push_back(document.summary());
    const auto answeredRevision = revisionOf(answer.json);
    const std::string etag = answer.response.header("etag");
    if (answeredRevision && etag != quoted(std::to_string(*answeredRevision)))
        problems.push_back("expected ETag " + quoted(std::to_string(*answeredRevision)) + ", got " +
                           (etag.empty() ? std::string("none") : quoted(etag)));
    if (answeredRevision)
        m_current = answer.json;
    *why = problems.empty() ? std::string() : what + ": " + joined(problems);
    return answer.json;
}

std::string BackendCheck::refusalProblems(const Answer &answer, long status, const json &before)
{
    std::vector<std::string> problems;
    if (!answer.is(status)) {
        problems.push_back("expected " + std::to_string(status) + ", got " +
                           statusText(answer.response));
    } else if (const std::string p = problemDocumentProblems(answer.response, answer.json);
               !p.empty()) {
        problems.push_back(p);
    }
    std::string why;
    const auto after = readDocument(&why);
    if (!after)
        problems.push_back("the rollout could not be re-read: " + why);
    else if (*after != before)
        problems.push_back("the rollout changed: it was " + shown(before) + ", now " +
                           shown(*after));
    return joined(problems);
}

void BackendCheck::runMutating()
{
    std::string why;
    const auto original = readDocument(&why);
    if (!original || !inspectRolloutDocument(*original).none() || !revisionOf(*original)) {
        record("mutating", false,
               "not run: the mutating checks start from a conforming rollout document, and " +
                   (original ? inspectRolloutDocument(*original).summary() : why));
        return;
    }
    const json *production = variantNamed(*original, "production");
    m_testModel = stringMember(*production, "model");
    m_testVersion = stringMember(*production, "version");
    if (m_settings.stageSettings.contains("model"))
        m_testModel = stringMember(m_settings.stageSettings, "model");
    if (m_settings.stageSettings.contains("version"))
        m_testVersion = stringMember(m_settings.stageSettings, "version");

    checkRefusals();
    if (stageTestCanary("stage")) {
        rampWeight();
        repeatWeight();
        staleRevision();
        rollbackAndRepeat();
        conflict("conflict-rolled-back", "PUT", "/v1/rollout/weights", R"({"canary":5})");
        if (stageTestCanary("restage")) {
            promoteAndRepeat();
            conflict("conflict-promoted", "POST", "/v1/rollout/rollback", "{}");
        }
    }
    restore(*original);
}

void BackendCheck::checkRefusals()
{
    std::string why;
    const auto before = readDocument(&why);
    if (!before) {
        record("auth-required", false, "not checked: " + why);
        return;
    }
    const std::string weightsPath = "/v1/rollout/weights";
    const std::string body = R"({"canary":5})";
    auto call = [&](std::optional<std::string> token, std::optional<std::string> ifMatch,
                    std::string contentType = "application/json") {
        Call c;
        c.method = "PUT";
        c.path = weightsPath;
        c.body = body;
        c.token = std::move(token);
        c.ifMatch = std::move(ifMatch);
        c.contentType = std::move(contentType);
        return send(c);
    };
    const std::string ifMatch = quoted(std::to_string(currentRevision()));

    {
        std::vector<std::string> problems;
        for (const auto &[token, label] :
             {std::pair{std::optional<std::string>(), "without a token"},
              std::pair{std::optional<std::string>("check-backend-wrong-token"),
                        "with a wrong token"}}) {
            const Answer answer = call(token, ifMatch);
            std::string p = refusalProblems(answer, 401, *before);
            if (answer.is(401) && !startsWith(answer.response.header("www-authenticate"), "Bearer"))
                p += std::string(p.empty() ? "" : "; ") +
                     "expected WWW-Authenticate: Bearer, got \"" +
                     answer.response.header("www-authenticate") + "\"";
            if (!p.empty())
                problems.push_back(std::string("PUT ") + weightsPath + " " + label + ": " + p);
        }
        record("auth-required", problems.empty(),
               problems.empty()
                   ? "401 problem+json with WWW-Authenticate: Bearer, without a token and with a "
                     "wrong one; nothing applied"
                   : joined(problems));
    }
    {
        const std::string p =
            refusalProblems(call(m_settings.endpoint.token, std::nullopt), 428, *before);
        record("if-match-required", p.empty(),
               p.empty() ? "428 problem+json without If-Match; nothing applied"
                         : "PUT " + weightsPath + " without If-Match: " + p);
    }
    {
        const std::string p =
            refusalProblems(call(m_settings.endpoint.token, ifMatch, "text/plain"), 415, *before);
        record("media-type", p.empty(),
               p.empty() ? "415 problem+json for Content-Type text/plain; nothing applied"
                         : "PUT " + weightsPath + " as text/plain: " + p);
    }
    {
        struct BadBody
        {
            const char *path;
            const char *body;
        };
        // Every kind of bad body the spec names (3.2, 3.5); the body is checked before the state,
        // so each must be refused with 400 whatever the rollout's state.
        const BadBody bodies[] = {
            {"/v1/rollout/weights", R"({"canary":)"},
            {"/v1/rollout/weights", R"([5])"},
            {"/v1/rollout/weights", R"({})"},
            {"/v1/rollout/weights", R"({"canary":5,"production":95})"},
            {"/v1/rollout/weights", R"({"canary":"5"})"},
            {"/v1/rollout/weights", R"({"canary":101})"},
            {"/v1/rollout/weights", R"({"canary":-1})"},
            {"/v1/rollout/weights", R"({"canary":12.55})"},
            {"/v1/rollout/canary", R"({"model":"check-backend"})"},
            {"/v1/rollout/canary", R"({"version":"1"})"},
            {"/v1/rollout/canary", R"({"model":"","version":"1"})"},
            {"/v1/rollout/canary", R"({"model":"check-backend","version":"1","no_such_member":1})"},
        };
        std::vector<std::string> problems;
        for (const BadBody &bad : bodies) {
            Call c;
            c.method = "PUT";
            c.path = bad.path;
            c.body = bad.body;
            c.token = m_settings.endpoint.token;
            c.ifMatch = quoted(std::to_string(currentRevision()));
            const std::string p = refusalProblems(send(c), 400, *before);
            if (!p.empty())
                problems.push_back(std::string("PUT ") + bad.path + " " + bad.body + ": " + p);
        }
        record("bad-bodies", problems.empty(),
               problems.empty() ? std::to_string(std::size(bodies)) +
                                      " malformed bodies refused with 400 problem+json; nothing "
                                      "applied"
                                : joined(problems));
    }
}

bool BackendCheck::freeCanarySlot(std::string *why)
{
    why->clear();
    if (stringMember(m_current, "state") != "canary" ||
        weightOf(m_current, "canary").value_or(0) == 0)
        return true;
    return apply("PUT", "/v1/rollout/weights", R"({"canary":0})", why).has_value();
}

bool BackendCheck::stageTestCanary(const char *name)
{
    // A canary that holds traffic must go to 0 % first (3.5); what that answer got wrong counts
    // against this check, but the staging still runs.
    std::vector<std::string> problems;
    std::string why;
    const std::int64_t revisionBefore = currentRevision();
    if (!freeCanarySlot(&why)) {
        record(name, false, "could not set the canary to 0 % before staging: " + why);
        return false;
    }
    if (!why.empty())
        problems.push_back(why);
    const bool freed = currentRevision() != revisionBefore;
    json body = m_settings.stageSettings;
    body["model"] = m_testModel;
    body["version"] = m_testVersion;
    const std::int64_t before = currentRevision();
    const auto doc = apply("PUT", "/v1/rollout/canary", body.dump(), &why);
    if (!doc) {
        record(name, false, why);
        return false;
    }
    if (!why.empty())
        problems.push_back(why);
    if (stringMember(*doc, "state") != "canary")
        problems.push_back("expected state \"canary\", got " +
                           (doc->contains("state") ? shown((*doc)["state"]) : "none"));
    const json *canary = variantNamed(*doc, "canary");
    if (!canary || stringMember(*canary, "model") != m_testModel ||
        stringMember(*canary, "version") != m_testVersion || weightOf(*doc, "canary") != 0.0)
        problems.push_back("expected the canary " + m_testModel + " " + m_testVersion +
                           " at 0 %, got " + (canary ? shown(*canary) : "no canary entry"));
    if (revisionOf(*doc) != before + 1)
        problems.push_back("expected revision " + std::to_string(before + 1) + ", got " +
                           shown(doc->value("revision", json())));
    record(name, problems.empty(),
           problems.empty() ? std::string(freed ? "canary set to 0 %, then " : "") + "staged " +
                                  m_testModel + " " + m_testVersion +
                                  " at 0 %, state canary, revision " + std::to_string(before + 1)
                            : joined(problems));
    return true;
}

void BackendCheck::rampWeight()
{
    const int steps[] = {10, 50, 125, 250, 500}; // tenths of a percent
    const std::int64_t first = currentRevision() + 1;
    std::string path = "0";
    for (const int tenths : steps) {
        const Weight weight = Weight::fromTenths(tenths);
        std::string why;
        const std::int64_t before = currentRevision();
        const auto doc =
            apply("PUT", "/v1/rollout/weights", json{{"canary", weight.percent()}}.dump(), &why);
        std::vector<std::string> problems;
        if (!why.empty())
            problems.push_back(why);
        if (doc) {
            const auto canary = weightOf(*doc, "canary");
            const auto production = weightOf(*doc, "production");
            if (canary != weight.percent() || production != weight.complement().percent())
                problems.push_back("expected canary " + weight.toString() + " and production " +
                                   weight.complement().toString() + ", got canary " +
                                   weightText(canary) + " and production " +
                                   weightText(production));
            if (revisionOf(*doc) != before + 1)
                problems.push_back("expected revision " + std::to_string(before + 1) + ", got " +
                                   shown(doc->value("revision", json())));
        }
        if (!problems.empty()) {
            record("weight-ramp", false,
                   "at " + weight.toString() + " % (after " + path + "): " + joined(problems));
            return;
        }
        path += " -> " + weight.toString();
    }
    record("weight-ramp", true,
           path + " %, revisions " + std::to_string(first) + "-" +
               std::to_string(currentRevision()) + ", production the rest each time");
}

void BackendCheck::repeatWeight()
{
    const std::int64_t revision = currentRevision();
    const json before = m_current;
    const std::string body = json{{"canary", weightOf(before, "canary").value_or(0)}}.dump();
    std::vector<std::string> problems;
    for (const auto &[ifMatch, label] : {std::pair{revision, "with the current If-Match"},
                                         std::pair{revision - 1, "with a stale If-Match"}}) {
        std::string why;
        const auto doc = apply("PUT", "/v1/rollout/weights", body, &why, ifMatch);
        if (!why.empty())
            problems.push_back(std::string(label) + ": " + why);
        else if (doc && *doc != before)
            problems.push_back(std::string(label) + ": expected the same document (revision " +
                               std::to_string(revision) + "), got " + shown(*doc));
    }
    record("weight-repeat", problems.empty(),
           problems.empty()
               ? "the same weight again: 200 with revision " + std::to_string(revision) +
                     " unchanged, with the current and with a stale If-Match"
               : joined(problems));
}

void BackendCheck::staleRevision()
{
    std::string why;
    const auto before = readDocument(&why);
    if (!before) {
        record("stale-revision", false, "not checked: " + why);
        return;
    }
    const std::int64_t revision = currentRevision();
    Call call;
    call.method = "PUT";
    call.path = "/v1/rollout/weights";
    call.body = R"({"canary":25})";
    call.token = m_settings.endpoint.token;
    call.ifMatch = quoted(std::to_string(revision - 1));
    const Answer answer = send(call);
    std::vector<std::string> problems;
    if (answer.is(412)) {
        const json current = answer.json.is_object() && answer.json.contains("rollout")
                                 ? answer.json["rollout"]
                                 : json();
        if (current.is_null())
            problems.push_back("the problem document has no \"rollout\" member");
        else if (current != *before)
            problems.push_back("its \"rollout\" member is " + shown(current) +
                               ", expected the current rollout " + shown(*before));
        const std::string etag = answer.response.header("etag");
        if (etag != quoted(std::to_string(revision)))
            problems.push_back("expected ETag " + quoted(std::to_string(revision)) + ", got " +
                               (etag.empty() ? std::string("none") : quoted(etag)));
    }
    if (const std::string p = refusalProblems(answer, 412, *before); !p.empty())
        problems.insert(problems.begin(), p);
    record("stale-revision", problems.empty(),
           problems.empty() ? "If-Match \"" + std::to_string(revision - 1) +
                                  "\": 412 with the current rollout and ETag \"" +
                                  std::to_string(revision) + "\"; nothing applied"
                            : "PUT /v1/rollout/weights {\"canary\":25} with If-Match \"" +
                                  std::to_string(revision - 1) + "\": " + joined(problems));
}

void BackendCheck::rollbackAndRepeat()
{
    std::string why;
    const std::int64_t before = currentRevision();
    const auto doc = apply("POST", "/v1/rollout/rollback", "{}", &why);
    std::vector<std::string> problems;
    if (!why.empty())
        problems.push_back(why);
    if (doc) {
        const json *canary = variantNamed(*doc, "canary");
        if (stringMember(*doc, "state") != "rolled_back")
            problems.push_back("expected state \"rolled_back\", got " +
                               shown(doc->value("state", json())));
        if (!canary || stringMember(*canary, "version") != m_testVersion ||
            weightOf(*doc, "canary") != 0.0 || weightOf(*doc, "production") != 100.0)
            problems.push_back("expected the canary " + m_testVersion +
                               " at 0 % and production at 100 %, got " +
                               shown(doc->value("variants", json())));
        if (revisionOf(*doc) != before + 1)
            problems.push_back("expected revision " + std::to_string(before + 1));
    }
    record("rollback", problems.empty(),
           problems.empty()
               ? "state rolled_back, canary at 0 %, revision " + std::to_string(before + 1)
               : joined(problems));
    if (!doc)
        return;

    repeatIsIdempotent("rollback", *doc);
}

// The spec's repeat rule: promote or rollback sent again answers 200 with the same document, with
// the current and with a stale If-Match alike.
void BackendCheck::repeatIsIdempotent(const std::string &action, const json &after)
{
    const std::int64_t revision = currentRevision();
    std::vector<std::string> problems;
    std::string why;
    for (const auto &[ifMatch, label] : {std::pair{revision, "with the current If-Match"},
                                         std::pair{revision - 1, "with a stale If-Match"}}) {
        const auto again = apply("POST", "/v1/rollout/" + action, "{}", &why, ifMatch);
        if (!why.empty())
            problems.push_back(std::string(label) + ": " + why);
        else if (again && *again != after)
            problems.push_back(std::string(label) + ": expected the same document, got " +
                               shown(*again));
    }
    record(action + "-repeat", problems.empty(),
           problems.empty()
               ? action + " again: 200 with the same document at revision " +
                     std::to_string(revision) + ", with the current and with a stale If-Match"
               : joined(problems));
}

void BackendCheck::conflict(const char *name, const char *method, const std::string &path,
                            const std::string &body)
{
    std::string why;
    const auto before = readDocument(&why);
    if (!before) {
        record(name, false, "not checked: " + why);
        return;
    }
    Call call;
    call.method = method;
    call.path = path;
    call.body = body;
    call.token = m_settings.endpoint.token;
    call.ifMatch = quoted(std::to_string(currentRevision()));
    const std::string p = refusalProblems(send(call), 409, *before);
    const std::string what = std::string(method) + " " + path + " " + body + " in state " +
                             stringMember(*before, "state");
    record(name, p.empty(),
           p.empty() ? what + ": 409 problem+json; nothing applied" : what + ": " + p);
}

void BackendCheck::promoteAndRepeat()
{
    std::string why;
    if (!apply("PUT", "/v1/rollout/weights", R"({"canary":10})", &why) || !why.empty()) {
        record("promote", false, "could not set the canary to 10 % before promoting: " + why);
        return;
    }
    const std::int64_t before = currentRevision();
    const auto doc = apply("POST", "/v1/rollout/promote", "{}", &why);
    std::vector<std::string> problems;
    if (!why.empty())
        problems.push_back(why);
    if (doc) {
        const json *production = variantNamed(*doc, "production");
        if (stringMember(*doc, "state") != "promoted")
            problems.push_back("expected state \"promoted\", got " +
                               shown(doc->value("state", json())));
        if (variantNamed(*doc, "canary"))
            problems.push_back("expected no canary entry after promote, got " +
                               shown(*variantNamed(*doc, "canary")));
        if (!production || stringMember(*production, "model") != m_testModel ||
            stringMember(*production, "version") != m_testVersion ||
            weightOf(*doc, "production") != 100.0)
            problems.push_back("expected production " + m_testModel + " " + m_testVersion +
                               " at 100 %, got " + (production ? shown(*production) : "none"));
        if (revisionOf(*doc) != before + 1)
            problems.push_back("expected revision " + std::to_string(before + 1));
    }
    record("promote", problems.empty(),
           problems.empty()
               ? "state promoted, production " + m_testModel + " " + m_testVersion +
                     " at 100 %, no canary entry, revision " + std::to_string(before + 1)
               : joined(problems));
    if (!doc)
        return;

    repeatIsIdempotent("promote", *doc);
}

void BackendCheck::restore(const json &original)
{
    std::string why;
    if (!readDocument(&why)) {
        m_onNote("could not restore the rollout: " + why);
        return;
    }
    auto step = [&](const char *method, const std::string &path, const json &body) {
        std::string problem;
        const bool applied = apply(method, path, body.dump(), &problem).has_value();
        if (!applied)
            m_onNote("could not restore the rollout: " + problem);
        return applied;
    };
    auto same = [](const json *a, const json *b) {
        return a && b && stringMember(*a, "model") == stringMember(*b, "model") &&
               stringMember(*a, "version") == stringMember(*b, "version");
    };
    const json *production = variantNamed(original, "production");
    if (!same(variantNamed(m_current, "production"), production)) {
        if (!freeCanarySlot(&why)) {
            m_onNote("could not restore the rollout: " + why);
            return;
        }
        const json body{{"model", stringMember(*production, "model")},
                        {"version", stringMember(*production, "version")}};
        if (!step("PUT", "/v1/rollout/canary", body) ||
            !step("POST", "/v1/rollout/promote", json::object()))
            return;
        m_onNote("restored production " + stringMember(*production, "model") + " " +
                 stringMember(*production, "version") +
                 " (staged and promoted again; serving settings it had are not restored)");
    }
    const std::string state = stringMember(original, "state");
    const json *canary = variantNamed(original, "canary");
    if (canary && !(same(variantNamed(m_current, "canary"), canary) &&
                    stringMember(m_current, "state") == state &&
                    weightOf(m_current, "canary") == weightOf(original, "canary"))) {
        if (!freeCanarySlot(&why)) {
            m_onNote("could not restore the rollout: " + why);
            return;
        }
        const json body{{"model", stringMember(*canary, "model")},
                        {"version", stringMember(*canary, "version")}};
        if (!step("PUT", "/v1/rollout/canary", body))
            return;
        if (state == "canary" && weightOf(original, "canary").value_or(0) > 0 &&
            !step("PUT", "/v1/rollout/weights",
                  json{{"canary", weightOf(original, "canary").value_or(0)}}))
            return;
        if (state == "rolled_back" && !step("POST", "/v1/rollout/rollback", json::object()))
            return;
        m_onNote("restored: state " + state + ", canary " + stringMember(*canary, "model") + " " +
                 stringMember(*canary, "version") + " at " +
                 weightText(weightOf(original, "canary")) +
                 " % (serving settings given when it was first staged are not restored)");
        return;
    }
    if (state == "stable")
        m_onNote("the rollout was stable; the API has no way back to stable, so it is left "
                 "promoted with the same production model");
    else
        m_onNote("restored: state " + stringMember(m_current, "state") + ", production " +
                 stringMember(*production, "model") + " " + stringMember(*production, "version"));
}

} // namespace canary::ctl
