#pragma once

#include "backends/httptransport.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The envelope of the Prometheus HTTP API v1
// (https://prometheus.io/docs/prometheus/latest/querying/api/):
// {"status": "success" | "error", "data": {"resultType", "result"}, "errorType", "error",
// "warnings"}. Pure functions, so every answer a server can give is tested without one.
namespace canary::prometheus {

// Larger answers are not a KPI query's: one instant query answers one sample, a range query one
// series of at most 11,000 points (Prometheus' own limit).
inline constexpr std::size_t kMaxInstantAnswerBytes = 1024 * 1024;
inline constexpr std::size_t kMaxRangeAnswerBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxRangePoints = 11000;

struct Point
{
    double time = 0;  // Unix seconds
    double value = 0; // may be NaN or ±Inf: Prometheus says "NaN", "+Inf", "-Inf"
};

struct Series
{
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<Point> points; // a vector or scalar: one; a matrix: oldest first

    const std::string *label(std::string_view name) const;
};

struct ApiAnswer
{
    enum class Failure {
        None,
        Transport,    // no HTTP answer (the transport's sentence is in `detail`)
        Unauthorized, // HTTP 401/403 without an API error envelope: the credentials
        Rejected,     // status "error": Prometheus refused or failed the query
        BadAnswer,    // anything that is not a valid API answer
    };

    Failure failure = Failure::None;
    // What went wrong, without the server's address: "bad_data: 1:5: parse error: ...", "HTTP 502
    // and no Prometheus API answer", or the transport's sentence.
    std::string detail;
    std::vector<std::string> warnings;
    std::string resultType; // "vector", "matrix", "scalar", "string"
    std::vector<Series> series;

    bool ok() const { return failure == Failure::None; }
};

// Turns one HTTP answer of /api/v1/query or /api/v1/query_range into series.
ApiAnswer parseApiAnswer(const HttpResponse &response);

// A sample value as the API writes it: "1.5", "1e-05", "NaN", "+Inf", "-Inf".
std::optional<double> parseSampleValue(std::string_view text);

// application/x-www-form-urlencoded: "query=sum%28up%29&time=1700000000.000".
std::string formEncode(const std::vector<std::pair<std::string, std::string>> &fields);

// Unix seconds with millisecond precision, as the API takes a time: "1700000000.250".
std::string apiTime(std::int64_t unixMilliseconds);

} // namespace canary::prometheus
