#include "dataplane.h"

#include "random.h"
#include "simulatedmodel.h"

#include "util/boundedjson.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <memory>
#include <random>

namespace canary::gateway {

namespace {

using nlohmann::json;

bool isScalar(const json &value)
{
    return value.is_primitive() && !value.is_binary();
}

HttpResponse malformed(const std::string &detail)
{
    return HttpResponse::problem(400, "malformed-request", "Malformed request", detail);
}

} // namespace

DataPlane::DataPlane(boost::asio::io_context &io, const GatewayConfig &config,
                     RolloutController &controller, MetricsRegistry &metrics,
                     FeedbackStore &feedback, const Clock &clock)
    : m_io(io)
    , m_controller(controller)
    , m_metrics(metrics)
    , m_feedback(feedback)
    , m_clock(clock)
    , m_router(config.routingSalt)
    , m_scenario(config.scenario)
    , m_upstream(io)
    , m_seed(Router::mix(config.seed))
    , m_instance(std::random_device{}() ^ (std::uint64_t(std::random_device{}()) << 32))
    , m_start(clock.now())
{}

std::string DataPlane::requestIdFor(std::uint64_t sequence) const
{
    // mix() is a bijection, so distinct sequence numbers give distinct ids; the random instance
    // part keeps a restarted gateway (same seed) from reusing the ids of the one before.
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx-%016llx", static_cast<unsigned long long>(m_instance),
                  static_cast<unsigned long long>(Router::mix(m_seed + sequence)));
    return buf;
}

void DataPlane::predict(PredictRequest request, PredictCallback done)
{
    const auto sequence = m_sequence.fetch_add(1, std::memory_order_relaxed);
    Random random(Router::mix(m_seed ^ (sequence * 0x9e3779b97f4a7c15ULL)));
    const auto snapshot = m_controller.snapshot();

    const Weight weight = snapshot.canary ? snapshot.state.canaryWeight() : Weight();
    const bool canary =
        snapshot.canary && (request.key ? m_router.routesToCanary(*request.key, weight)
                                        : Router::routesToCanary(random.next(), weight));
    const VariantSettings &settings = canary ? *snapshot.canary : snapshot.production;

    PredictResult result;
    result.variant = canary ? VariantRole::Canary : VariantRole::Production;
    result.version = settings.version;
    result.requestId = requestIdFor(sequence);
    result.body = {{"request_id", result.requestId},
                   {"variant", toString(result.variant)},
                   {"model", settings.model},
                   {"version", settings.version},
                   {"prediction", nullptr}};

    if (settings.upstream) {
        json upstreamBody = {{"inputs", request.inputs ? *request.inputs : json(nullptr)}};
        if (request.key)
            upstreamBody["key"] = *request.key;
        m_upstream.post(
            *settings.upstream, upstreamBody.dump(), std::chrono::milliseconds(settings.timeoutMs),
            [this, result, arrival = request.arrival, done = std::move(done),
             url = settings.upstream->text](UpstreamClient::Result answer) mutable {
                std::string problem;
                json prediction;
                if (!answer.ok) {
                    problem = answer.error;
                } else if (answer.status < 200 || answer.status > 299) {
                    problem = "it answered HTTP " + std::to_string(answer.status);
                } else {
                    // Bounded: a hostile or broken model server must not crash the gateway
                    // with a deeply nested answer (copying it below would recurse per level).
                    JsonParseError error;
                    auto parsed = parseBoundedJson(answer.body, &error);
                    if (parsed)
                        prediction = std::move(*parsed);
                    else
                        problem = "its answer is not usable JSON (" + error.message + ")";
                }
                if (problem.empty()) {
                    result.body["prediction"] = prediction;
                    complete(result, false, arrival, &prediction);
                } else {
                    result.status = 502;
                    const auto variantName = std::string(toString(result.variant));
                    result.body = json{{"type", "urn:canary:problem:upstream-failed"},
                                       {"title", "Upstream failed"},
                                       {"status", 502},
                                       {"detail", "The " + variantName + " upstream " + url +
                                                      " failed: " + problem + "."},
                                       {"variant", variantName},
                                       {"version", result.version}};
                    complete(result, true, arrival, nullptr);
                }
                done(std::move(result));
            });
        return;
    }

    const double elapsedS = std::chrono::duration<double>(m_clock.now() - m_start).count();
    const auto params = m_scenario.effective(result.variant, settings.simulate, elapsedS);
    const json *label = request.label ? &*request.label : nullptr;
    auto outcome = SimulatedModel::draw(params, random, label);
    if (outcome.failed) {
        result.status = 503;
        const auto variantName = std::string(toString(result.variant));
        result.body =
            json{{"type", "urn:canary:problem:variant-failed"},
                 {"title", "Variant failed"},
                 {"status", 503},
                 {"detail", "The " + variantName + " model (" + settings.model + " " +
                                settings.version + ") failed this request; retrying may succeed."},
                 {"variant", variantName},
                 {"version", result.version}};
    } else {
        result.body["prediction"] = outcome.prediction;
    }
    // The response really waits for the simulated latency, on a timer: no thread is blocked.
    auto timer = std::make_shared<boost::asio::steady_timer>(m_io, outcome.latency);
    timer->async_wait([this, timer, result = std::move(result), arrival = request.arrival,
                       failed = outcome.failed, prediction = std::move(outcome.prediction),
                       done = std::move(done)](const boost::system::error_code &) mutable {
        complete(result, failed, arrival, failed ? nullptr : &prediction);
        done(std::move(result));
    });
}

void DataPlane::complete(const PredictResult &result, bool failed,
                         std::chrono::steady_clock::time_point arrival, const json *prediction)
{
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - arrival).count();
    m_metrics.recordRequest(result.variant, result.version, seconds, failed);
    if (prediction)
        m_feedback.remember(result.requestId, {result.variant, result.version, *prediction},
                            m_clock.now());
}

DataPlane::FeedbackResult DataPlane::feedback(const std::string &requestId, const json &label)
{
    const auto scored = m_feedback.label(requestId, label, m_clock.now());
    FeedbackResult r;
    switch (scored.status) {
    case FeedbackStore::Status::Unknown:
        r.status = 404;
        r.body = {{"type", "urn:canary:problem:not-found"},
                  {"title", "Unknown request"},
                  {"status", 404},
                  {"detail", "No prediction with request_id \"" + requestId +
                                 "\" is known; it may never have existed or may have expired."}};
        return r;
    case FeedbackStore::Status::AlreadyLabelled:
        r.status = 409;
        r.body = {{"type", "urn:canary:problem:conflict"},
                  {"title", "Already labelled"},
                  {"status", 409},
                  {"detail", "The prediction \"" + requestId +
                                 "\" already has a label; each prediction is scored once."}};
        return r;
    case FeedbackStore::Status::Recorded:
        break;
    }
    m_metrics.recordFeedback(scored.served.variant, scored.served.version, scored.correct);
    r.body = {{"request_id", requestId},
              {"variant", toString(scored.served.variant)},
              {"version", scored.served.version},
              {"correct", scored.correct}};
    return r;
}

void DataPlane::handlePredict(HttpRequest &&request, HttpResponder respond)
{
    json body;
    HttpResponse problem;
    if (!parseJsonBody(request, body, problem))
        return respond(std::move(problem));
    if (body.is_null())
        body = json::object();
    if (!body.is_object())
        return respond(malformed("The request body must be a JSON object."));

    PredictRequest predict;
    predict.arrival = request.arrival;
    for (const auto &[name, value] : body.items()) {
        if (name == "key") {
            if (!value.is_string() || value.get<std::string>().empty() ||
                value.get<std::string>().size() > kMaxKeyBytes)
                return respond(malformed("key must be a non-empty string of at most 256 bytes."));
            predict.key = value.get<std::string>();
        } else if (name == "label") {
            if (!isScalar(value))
                return respond(malformed("label must be a JSON scalar (string, number, boolean)."));
            if (!value.is_null())
                predict.label = value;
        } else if (name == "inputs") {
            predict.inputs = value;
        } else {
            return respond(malformed("Unknown field \"" + name +
                                     "\"; a prediction request has key, label and inputs."));
        }
    }
    if (!predict.key && request.hasHeader("X-Canary-Key")) {
        const auto key = request.header("X-Canary-Key");
        if (key.empty() || key.size() > kMaxKeyBytes)
            return respond(malformed("X-Canary-Key must be 1 to 256 bytes long."));
        predict.key = std::string(key);
    }
    this->predict(std::move(predict), [respond = std::move(respond)](PredictResult result) {
        HttpResponse response = HttpResponse::json(result.status, result.body);
        if (result.status != 200)
            response.setHeader("Content-Type", "application/problem+json");
        response.setHeader("X-Canary-Variant", std::string(toString(result.variant)));
        respond(std::move(response));
    });
}

HttpResponse DataPlane::handleFeedback(const HttpRequest &request)
{
    json body;
    HttpResponse problem;
    if (!parseJsonBody(request, body, problem))
        return problem;
    if (!body.is_object())
        return malformed("The request body must be a JSON object with request_id and label.");
    std::optional<std::string> requestId;
    std::optional<json> label;
    for (const auto &[name, value] : body.items()) {
        if (name == "request_id") {
            if (!value.is_string() || value.get<std::string>().empty() ||
                value.get<std::string>().size() > 128)
                return malformed("request_id must be a non-empty string of at most 128 bytes.");
            requestId = value.get<std::string>();
        } else if (name == "label") {
            if (!isScalar(value) || value.is_null())
                return malformed("label must be a JSON scalar (string, number, boolean).");
            label = value;
        } else {
            return malformed("Unknown field \"" + name +
                             "\"; feedback has exactly request_id and label.");
        }
    }
    if (!requestId || !label)
        return malformed("Feedback needs both request_id and label.");
    auto result = feedback(*requestId, *label);
    auto response = HttpResponse::json(result.status, result.body);
    if (result.status != 200)
        response.setHeader("Content-Type", "application/problem+json");
    return response;
}

} // namespace canary::gateway
