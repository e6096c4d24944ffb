#include "httpmessage.h"

#include "util/boundedjson.h"

#include <nlohmann/json.hpp>

namespace canary::gateway {

bool isJsonContentType(std::string_view value)
{
    const auto semicolon = value.find(';');
    auto type = value.substr(0, semicolon);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    return equalsIgnoreCase(type, "application/json");
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) {
            return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

std::string_view HttpRequest::path() const
{
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::header(std::string_view name) const
{
    for (const auto &[key, value] : headers) {
        if (equalsIgnoreCase(key, name))
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(std::string_view name) const
{
    for (const auto &[key, value] : headers) {
        if (equalsIgnoreCase(key, name))
            return true;
    }
    return false;
}

void HttpResponse::setHeader(std::string name, std::string value)
{
    for (auto &[key, v] : headers) {
        if (equalsIgnoreCase(key, name)) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

HttpResponse HttpResponse::json(int status, const nlohmann::json &body)
{
    HttpResponse r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.body += '\n';
    r.setHeader("Content-Type", "application/json");
    return r;
}

HttpResponse HttpResponse::problem(int status, std::string_view slug, std::string_view title,
                                   std::string_view detail)
{
    return problem(status, slug, title, detail, nlohmann::json::object());
}

HttpResponse HttpResponse::problem(int status, std::string_view slug, std::string_view title,
                                   std::string_view detail, const nlohmann::json &extra)
{
    nlohmann::json body = {{"type", "urn:canary:problem:" + std::string(slug)},
                           {"title", title},
                           {"status", status},
                           {"detail", detail}};
    for (const auto &[key, value] : extra.items())
        body[key] = value;
    auto r = json(status, body);
    r.setHeader("Content-Type", "application/problem+json");
    return r;
}

bool parseJsonBody(const HttpRequest &request, nlohmann::json &out, HttpResponse &problem)
{
    if (request.body.empty()) {
        out = nullptr;
        return true;
    }
    if (!isJsonContentType(request.header("Content-Type"))) {
        problem = HttpResponse::problem(
            415, "unsupported-media-type", "Unsupported media type",
            "A request body must be sent with Content-Type: application/json.");
        return false;
    }
    // Bounded: the body comes from anyone who can reach the port, and nlohmann copies, dumps and
    // compares values recursively. A duplicate key would make the request mean two things.
    JsonParseOptions options;
    options.refuseDuplicateKeys = true;
    JsonParseError error;
    auto parsed = parseBoundedJson(request.body, &error, options);
    if (!parsed) {
        problem =
            HttpResponse::problem(400, "malformed-request", "Malformed request",
                                  "The request body is not usable JSON: " + error.message + ".");
        return false;
    }
    out = std::move(*parsed);
    return true;
}

} // namespace canary::gateway
