#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canary::gateway {

// Plain request/response values, so that only the server and the upstream client see Beast.
struct HttpRequest
{
    std::string method;
    std::string target; // path and query as received
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::steady_clock::time_point arrival;

    std::string_view path() const;
    // Case-insensitive; empty when absent.
    std::string_view header(std::string_view name) const;
    bool hasHeader(std::string_view name) const;
};

struct HttpResponse
{
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    void setHeader(std::string name, std::string value);

    static HttpResponse json(int status, const nlohmann::json &body);
    // RFC 9457 problem+json: {"type": "urn:canary:problem:<slug>", "title", "status", "detail"}.
    static HttpResponse problem(int status, std::string_view slug, std::string_view title,
                                std::string_view detail);
    static HttpResponse problem(int status, std::string_view slug, std::string_view title,
                                std::string_view detail, const nlohmann::json &extra);
};

// Called exactly once per request, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest &&, HttpResponder)>;

bool equalsIgnoreCase(std::string_view a, std::string_view b);
// "application/json", with parameters, in any case.
bool isJsonContentType(std::string_view value);
// A request body as JSON: an empty body is null; a body needs a JSON content type (else 415) and
// must parse within canary::kMaxJsonDepth levels of nesting and without duplicate keys (else 400).
// Returns false and fills `problem` otherwise.
bool parseJsonBody(const HttpRequest &request, nlohmann::json &out, HttpResponse &problem);

} // namespace canary::gateway
