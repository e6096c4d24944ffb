#include "prometheusapi.h"

#include "util/boundedjson.h"
#include "util/join.h"

#include <QByteArray>

#include <charconv>
#include <cmath>
#include <limits>

namespace canary::prometheus {

namespace {

using json = nlohmann::json;
using Failure = ApiAnswer::Failure;

ApiAnswer failed(Failure failure, std::string detail)
{
    ApiAnswer answer;
    answer.failure = failure;
    answer.detail = std::move(detail);
    return answer;
}

std::string text(const json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A short quote of what a server sent, for an error: no more than a line.
std::string excerpt(std::string_view body)
{
    std::string out;
    for (char c : body.substr(0, 120))
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    return body.size() > 120 ? out + "..." : out;
}

// [time, "value"] of a vector, scalar or matrix point; false when it is not one.
bool readPoint(const json &pair, Point &point, std::string *why)
{
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string()) {
        *why = "a sample that is not [time, \"value\"]";
        return false;
    }
    const auto &value = pair[1].get_ref<const std::string &>();
    const auto parsed = parseSampleValue(value);
    if (!parsed) {
        *why = "the sample value \"" + excerpt(value) + "\", which is not a number";
        return false;
    }
    point.time = pair[0].get<double>();
    point.value = *parsed;
    return true;
}

bool readLabels(const json &sample, Series &series, std::string *why)
{
    const auto metric = sample.find("metric");
    if (metric == sample.end())
        return true;
    if (!metric->is_object()) {
        *why = "a series whose \"metric\" is not an object of labels";
        return false;
    }
    for (const auto &[name, value] : metric->items()) {
        if (!value.is_string()) {
            *why = "the label " + name + " with a value that is not a string";
            return false;
        }
        series.labels.emplace_back(name, value.get<std::string>());
    }
    return true;
}

// data.result of a successful answer, by its resultType.
bool readResult(const json &data, ApiAnswer &answer, std::string *why)
{
    const auto type = data.find("resultType");
    const auto result = data.find("result");
    if (type == data.end() || !type->is_string() || result == data.end()) {
        *why = "no data.resultType and data.result";
        return false;
    }
    answer.resultType = type->get<std::string>();
    if (answer.resultType == "scalar" || answer.resultType == "string") {
        Series series;
        Point point;
        if (answer.resultType == "string") // a string is no KPI; only its shape is checked
            return true;
        if (!readPoint(*result, point, why))
            return false;
        series.points.push_back(point);
        answer.series.push_back(std::move(series));
        return true;
    }
    if (answer.resultType != "vector" && answer.resultType != "matrix") {
        *why = "the unknown resultType \"" + excerpt(answer.resultType) + "\"";
        return false;
    }
    if (!result->is_array()) {
        *why = "a data.result that is not a list";
        return false;
    }
    const bool matrix = answer.resultType == "matrix";
    for (const auto &sample : *result) {
        if (!sample.is_object()) {
            *why = "a series that is not an object";
            return false;
        }
        Series series;
        if (!readLabels(sample, series, why))
            return false;
        if (matrix) {
            const auto values = sample.find("values");
            if (values == sample.end() || !values->is_array()) {
                *why = sample.contains("histograms")
                           ? "native histogram samples where numbers were expected"
                           : "a matrix series without \"values\"";
                return false;
            }
            for (const auto &pair : *values) {
                Point point;
                if (!readPoint(pair, point, why))
                    return false;
                series.points.push_back(point);
            }
        } else {
            const auto value = sample.find("value");
            if (value == sample.end()) {
                *why = sample.contains("histogram")
                           ? "a native histogram sample where a number was expected"
                           : "a vector sample without \"value\"";
                return false;
            }
            Point point;
            if (!readPoint(*value, point, why))
                return false;
            series.points.push_back(point);
        }
        answer.series.push_back(std::move(series));
    }
    return true;
}

} // namespace

const std::string *Series::label(std::string_view name) const
{
    for (const auto &[key, value] : labels) {
        if (key == name)
            return &value;
    }
    return nullptr;
}

ApiAnswer parseApiAnswer(const HttpResponse &response)
{
    if (!response.answered())
        return failed(Failure::Transport, response.transportError);

    JsonParseError parseError;
    const auto document = parseBoundedJson(response.body, &parseError);
    const bool envelope = document && document->is_object() && document->contains("status");
    const bool success = response.status >= 200 && response.status < 300;
    // Prometheus answers a refused query with 400, 422 or 503 and the error envelope; a proxy in
    // front of it answers 401/403 (or anything else) with its own page.
    if (!envelope) {
        if (response.status == 401 || response.status == 403)
            return failed(Failure::Unauthorized, "HTTP " + std::to_string(response.status));
        if (!success)
            return failed(Failure::BadAnswer,
                          "HTTP " + std::to_string(response.status) +
                              " and no Prometheus API answer" +
                              (response.body.empty() ? std::string()
                                                     : " (\"" + excerpt(response.body) + "\")"));
        if (!document)
            return failed(Failure::BadAnswer,
                          "an answer that is not JSON (" + parseError.message + ")");
        return failed(Failure::BadAnswer,
                      "JSON that is not a Prometheus API answer (it has no \"status\")");
    }

    ApiAnswer answer;
    if (const auto warnings = document->find("warnings"); warnings != document->end()) {
        if (warnings->is_array()) {
            for (const auto &warning : *warnings) {
                if (warning.is_string() && answer.warnings.size() < 16)
                    answer.warnings.push_back(warning.get<std::string>());
            }
        }
    }
    const std::string status = text(*document, "status");
    if (status == "error") {
        const std::string type = text(*document, "errorType");
        const std::string message = text(*document, "error");
        answer.failure = Failure::Rejected;
        answer.detail = (type.empty() ? std::string("error") : type) +
                        (message.empty() ? std::string() : ": " + message);
        return answer;
    }
    if (status != "success")
        return failed(Failure::BadAnswer,
                      "a status of \"" + excerpt(status) + "\" rather than success or error");
    if (!success)
        return failed(Failure::BadAnswer,
                      "HTTP " + std::to_string(response.status) + " with a status of success");
    const auto data = document->find("data");
    std::string why;
    if (data == document->end() || !data->is_object())
        why = "no data object";
    else if (!readResult(*data, answer, &why))
        answer.series.clear();
    if (!why.empty()) {
        answer.failure = Failure::BadAnswer;
        answer.detail = "an answer with " + why;
    }
    return answer;
}

std::optional<double> parseSampleValue(std::string_view text)
{
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (text == "+Inf" || text == "Inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-Inf")
        return -std::numeric_limits<double>::infinity();
    if (text.starts_with('+'))
        text.remove_prefix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value))
        return std::nullopt; // "inf" or "nan" spelt otherwise is not the API's
    return value;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>> &fields)
{
    std::string out;
    for (const auto &[name, value] : fields) {
        if (!out.empty())
            out += '&';
        out += QByteArray::fromStdString(name).toPercentEncoding().toStdString();
        out += '=';
        out += QByteArray::fromStdString(value).toPercentEncoding().toStdString();
    }
    return out;
}

std::string apiTime(std::int64_t unixMilliseconds)
{
    const bool negative = unixMilliseconds < 0;
    const std::int64_t magnitude = negative ? -unixMilliseconds : unixMilliseconds;
    std::string fraction = std::to_string(magnitude % 1000);
    fraction.insert(0, 3 - fraction.size(), '0');
    return join({negative ? "-" : "", std::to_string(magnitude / 1000), ".", fraction});
}

} // namespace canary::prometheus
