// The gateway's request handling below the socket: predict, feedback and the Control API
// mutations, from a request body on. Whatever the body, exactly one answer comes, its status is
// one the API documents, it is JSON, and a problem has a detail.
#include "controlapi.h"
#include "dataplane.h"
#include "feedbackstore.h"
#include "gatewayconfig.h"
#include "metricsregistry.h"
#include "rolloutcontroller.h"

#include "util/boundedjson.h"
#include "util/clock.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

using namespace canary;
using namespace canary::gateway;

namespace {

[[noreturn]] void fail(const std::string &what, const HttpResponse &response)
{
    std::fprintf(stderr, "%s: HTTP %d %s\n", what.c_str(), response.status,
                 response.body.substr(0, 400).c_str());
    std::abort();
}

void checkAnswer(const HttpResponse &response)
{
    static const std::set<int> documented = {200, 400, 404, 409, 412, 415, 503};
    if (!documented.count(response.status))
        fail("undocumented status", response);
    const auto body = parseBoundedJson(response.body);
    if (!body || !body->is_object())
        fail("answer is not a JSON object", response);
    if (response.status != 200) {
        const auto detail = body->find("detail");
        if (detail == body->end() || !detail->is_string() || detail->get<std::string>().empty())
            fail("problem without a detail", response);
    }
}

GatewayConfig fastConfig()
{
    // Simulated models that answer within microseconds, so io.run() returns at once.
    auto config = GatewayConfig::demo();
    config.production.simulate = {0.001, 0.002, 0.1, 0.5};
    config.canary->simulate = {0.001, 0.002, 0.1, 0.5};
    return config;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    static const char *const kPaths[] = {"/v1/predict",         "/v1/feedback",
                                         "/v1/rollout/weights", "/v1/rollout/canary",
                                         "/v1/rollout/promote", "/v1/rollout/rollback"};
    const auto route = data[0] % 6;
    const bool plainText = (data[1] & 1) != 0;

    HttpRequest request;
    request.method = route <= 1 || route >= 4 ? "POST" : "PUT";
    request.target = kPaths[route];
    request.headers = {{"Content-Type", plainText ? "text/plain" : "application/json"},
                       {"Authorization", "Bearer fuzz-token"},
                       {"If-Match", (data[1] & 2) ? "\"1\"" : "*"}};
    if (data[1] & 4)
        request.headers.emplace_back("X-Canary-Key", "key");
    request.body.assign(reinterpret_cast<const char *>(data + 2), size - 2);
    request.arrival = std::chrono::steady_clock::now();

    boost::asio::io_context io;
    const auto config = fastConfig();
    ManualClock clock;
    RolloutController controller(config, clock);
    MetricsRegistry metrics;
    FeedbackStore feedback(100, std::chrono::seconds(60));
    DataPlane dataPlane(io, config, controller, metrics, feedback, clock);
    ControlApi control(controller, "fuzz-token");

    std::optional<HttpResponse> answer;
    int answers = 0;
    if (route == 0) {
        dataPlane.handlePredict(std::move(request), [&](HttpResponse response) {
            ++answers;
            answer = std::move(response);
        });
        io.run(); // the simulated latency is a timer
    } else {
        ++answers;
        answer = route == 1 ? dataPlane.handleFeedback(request) : control.handle(request);
    }
    if (answers != 1 || !answer) {
        std::fprintf(stderr, "%d answers to one request\n", answers);
        std::abort();
    }
    checkAnswer(*answer);

    // A prediction that was served can be labelled exactly once.
    if (route == 0 && answer->status == 200) {
        const auto id = parseBoundedJson(answer->body)->at("request_id").get<std::string>();
        HttpRequest label;
        label.method = "POST";
        label.target = "/v1/feedback";
        label.headers = {{"Content-Type", "application/json"}};
        label.body = nlohmann::json{{"request_id", id}, {"label", 1}}.dump();
        const auto first = dataPlane.handleFeedback(label);
        if (first.status != 200)
            fail("labelling a served prediction", first);
        const auto second = dataPlane.handleFeedback(label);
        if (second.status != 409)
            fail("labelling it again", second);
    }
    return 0;
}
