#include "querytemplates.h"

#include "util/boundedjson.h"
#include "util/join.h"

#include <QFile>
#include <QString>

#include <algorithm>
#include <cstdio>

namespace canary::prometheus {

namespace {

constexpr std::string_view kPlaceholders[] = {"variant",  "variant_label", "job",
                                              "selector", "window",        "quantile"};

// Files larger than this are not query files; refusing them keeps a wrong path cheap.
constexpr qint64 kMaxQueryFileBytes = 1024 * 1024;

bool isNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Calls `onText` for the literal runs and `onPlaceholder` for each {{name}} of a template. A brace
// that does not open a {{name}} is literal, so "{{{selector}}}" is "{", a placeholder, "}".
template<typename Text, typename Placeholder>
void scanTemplate(std::string_view text, Text onText, Placeholder onPlaceholder)
{
    std::size_t literalStart = 0;
    std::size_t i = 0;
    while (i + 1 < text.size()) {
        if (text[i] == '{' && text[i + 1] == '{') {
            std::size_t end = i + 2;
            while (end < text.size() && isNameChar(text[end]))
                ++end;
            if (end > i + 2 && end + 1 < text.size() && text[end] == '}' && text[end + 1] == '}') {
                onText(text.substr(literalStart, i - literalStart));
                onPlaceholder(text.substr(i + 2, end - i - 2));
                i = end + 2;
                literalStart = i;
                continue;
            }
        }
        ++i;
    }
    onText(text.substr(literalStart));
}

std::string inQuotes(std::string_view text)
{
    return join({"\"", text, "\""});
}

// Why a query template cannot be used, or "" when it can.
std::string templateProblem(Query query, const std::string &text)
{
    const std::string field = "queries." + std::string(queryName(query));
    std::string problem;
    bool hasQuantile = false;
    scanTemplate(
        text, [](std::string_view) {},
        [&](std::string_view name) {
            if (!problem.empty())
                return;
            if (name == "quantile") {
                hasQuantile = true;
                if (query != Query::Latency)
                    problem = field + " uses {{quantile}}, which only the latency query has";
                return;
            }
            if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) ==
                std::end(kPlaceholders))
                problem = field + " uses the unknown placeholder {{" + std::string(name) +
                          "}} (known: {{variant}}, {{variant_label}}, {{job}}, {{selector}}, "
                          "{{window}}, {{quantile}})";
        });
    if (problem.empty() && query == Query::Latency && !hasQuantile)
        problem = field + " has no {{quantile}}, so p50, p95 and p99 would be the same query";
    return problem;
}

std::optional<QueryTemplates> refuse(std::string *error, std::string sentence)
{
    if (error)
        *error = std::move(sentence);
    return std::nullopt;
}

} // namespace

std::string_view queryName(Query query)
{
    switch (query) {
    case Query::RequestRate:
        return "request_rate";
    case Query::ErrorRatio:
        return "error_ratio";
    case Query::Accuracy:
        return "accuracy";
    case Query::Latency:
        return "latency";
    case Query::LatencyMean:
        return "latency_mean";
    case Query::RequestsInWindow:
        return "requests_in_window";
    case Query::ErrorsInWindow:
        return "errors_in_window";
    case Query::FeedbackInWindow:
        return "feedback_in_window";
    case Query::CorrectInWindow:
        return "correct_in_window";
    case Query::Weight:
        return "weight";
    case Query::Versions:
        return "versions";
    case Query::ActiveVersions:
        return "active_versions";
    case Query::LatencyBuckets:
        return "latency_buckets";
    }
    return "unknown";
}

bool answersWithSeries(Query query)
{
    return query == Query::Versions || query == Query::ActiveVersions ||
           query == Query::LatencyBuckets;
}

QueryTemplates QueryTemplates::defaults()
{
    // A part counter (errors, correct) that has no series answers 0 where its whole (requests,
    // feedback) has samples, so a variant without any error reads 0 % rather than "no data";
    // a variant Prometheus knows nothing about stays without samples.
    const std::string requests = "sum(increase(canary_requests_total{{{selector}}}[{{window}}]))";
    const std::string errors =
        "(sum(increase(canary_request_errors_total{{{selector}}}[{{window}}])) or (0 * " +
        requests + "))";
    const std::string feedback = "sum(increase(canary_feedback_total{{{selector}}}[{{window}}]))";
    const std::string correct =
        "(sum(increase(canary_predictions_correct_total{{{selector}}}[{{window}}])) or (0 * " +
        feedback + "))";
    QueryTemplates t;
    auto set = [&t](Query query, std::string text) {
        t.queries[static_cast<std::size_t>(query)] = std::move(text);
    };
    set(Query::RequestRate, "sum(rate(canary_requests_total{{{selector}}}[{{window}}]))");
    set(Query::ErrorRatio, errors + " / " + requests);
    set(Query::Accuracy, correct + " / " + feedback);
    set(Query::Latency,
        "histogram_quantile({{quantile}}, sum by (le) "
        "(rate(canary_request_duration_seconds_bucket{{{selector}}}[{{window}}])))");
    // The histogram's observed seconds over its observations: the mean, not an average of rates.
    set(Query::LatencyMean,
        "sum(increase(canary_request_duration_seconds_sum{{{selector}}}[{{window}}])) / "
        "sum(increase(canary_request_duration_seconds_count{{{selector}}}[{{window}}]))");
    set(Query::RequestsInWindow, requests);
    set(Query::ErrorsInWindow, errors);
    set(Query::FeedbackInWindow, feedback);
    set(Query::CorrectInWindow, correct);
    set(Query::Weight, "sum(canary_traffic_weight{{{selector}}})");
    set(Query::Versions, "count by (version) (canary_requests_total{{{selector}}} or "
                         "canary_traffic_weight{{{selector}}})");
    set(Query::LatencyBuckets, "sum by (le) "
                               "(increase(canary_request_duration_seconds_bucket{{{selector}}}"
                               "[{{window}}]))");
    set(Query::ActiveVersions,
        "sum by (version) (increase(canary_requests_total{{{selector}}}[{{window}}])) > 0");
    return t;
}

std::optional<QueryTemplates> parseQueryTemplates(std::string_view json, std::string *error)
{
    JsonParseError parseError;
    const auto document = parseBoundedJson(json, &parseError, {kMaxJsonDepth, true});
    if (!document)
        return refuse(error, "it is not valid JSON: " + parseError.message + ".");
    if (!document->is_object())
        return refuse(error, "it must be a JSON object with \"queries\" in it.");

    QueryTemplates templates = QueryTemplates::defaults();
    auto readString = [&](const char *key, std::string &into, std::string *problem) -> bool {
        const auto it = document->find(key);
        if (it == document->end())
            return true;
        if (!it->is_string() || it->get_ref<const std::string &>().empty()) {
            *problem = std::string(key) + " must be a non-empty string.";
            return false;
        }
        into = it->get<std::string>();
        return true;
    };
    std::string problem;
    for (const auto &[key, value] : document->items()) {
        if (key != "variant_label" && key != "production" && key != "canary" &&
            key != "version_label" && key != "queries")
            return refuse(error, "it has the unknown field " + inQuotes(key) +
                                     " (known: variant_label, production, canary, "
                                     "version_label, queries).");
    }
    if (!readString("variant_label", templates.variantLabel, &problem) ||
        !readString("production", templates.productionValue, &problem) ||
        !readString("canary", templates.canaryValue, &problem) ||
        !readString("version_label", templates.versionLabel, &problem))
        return refuse(error, problem);
    for (const auto *label : {&templates.variantLabel, &templates.versionLabel}) {
        if (!isLabelName(*label))
            return refuse(error, std::string(label == &templates.variantLabel ? "variant_label"
                                                                              : "version_label") +
                                     " is " + inQuotes(*label) +
                                     ", which is not a Prometheus label name ([a-zA-Z_]"
                                     "[a-zA-Z0-9_]*).");
    }
    if (templates.productionValue == templates.canaryValue)
        return refuse(error, "production and canary are both " +
                                 inQuotes(templates.productionValue) +
                                 ": the two variants need different label values.");

    if (const auto it = document->find("queries"); it != document->end()) {
        if (!it->is_object())
            return refuse(error, "queries must be an object of query name to PromQL template.");
        templates.queries = {};
        for (const auto &item : it->items()) {
            const std::string &key = item.key();
            const auto &value = item.value();
            const auto query = std::find_if(kAllQueries.begin(), kAllQueries.end(),
                                            [&key](Query q) { return queryName(q) == key; });
            if (query == kAllQueries.end()) {
                std::string known;
                for (Query q : kAllQueries)
                    known += (known.empty() ? "" : ", ") + std::string(queryName(q));
                return refuse(error, "queries has the unknown query " + inQuotes(key) +
                                         " (known: " + known + ").");
            }
            if (value.is_null())
                continue; // written out to say "not asked"
            if (!value.is_string() || value.get_ref<const std::string &>().empty())
                return refuse(error,
                              "queries." + key + " must be a non-empty string of PromQL, or null.");
            templates.queries[static_cast<std::size_t>(*query)] = value.get<std::string>();
        }
    }
    for (Query required : {Query::RequestRate, Query::ErrorRatio}) {
        if (!templates.has(required))
            return refuse(error, "queries." + std::string(queryName(required)) +
                                     " is missing; a rollout cannot be judged without it.");
    }
    for (Query query : kAllQueries) {
        if (!templates.has(query))
            continue;
        if (auto why = templateProblem(query, templates.text(query)); !why.empty())
            return refuse(error, why + ".");
    }
    return templates;
}

std::optional<QueryTemplates> loadQueryTemplates(const std::string &path, std::string *error)
{
    const std::string where = "The Prometheus query file " + path;
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return refuse(error, where + " cannot be read: " + file.errorString().toStdString() + ".");
    if (file.size() > kMaxQueryFileBytes)
        return refuse(error, where + " is larger than " + std::to_string(kMaxQueryFileBytes) +
                                 " bytes; a query file is a few kilobytes.");
    const QByteArray bytes = file.read(kMaxQueryFileBytes + 1);
    std::string problem;
    auto templates =
        parseQueryTemplates(std::string_view(bytes.constData(), bytes.size()), &problem);
    if (!templates)
        return refuse(error, where + " cannot be used: " + problem);
    return templates;
}

std::string expandQuery(const QueryTemplates &templates, Query query, const Expansion &expansion)
{
    const std::string variant = promqlString(templates.labelValue(expansion.role));
    std::string selector = templates.variantLabel + "=" + variant;
    if (!expansion.job.empty())
        selector += ",job=" + promqlString(expansion.job);
    std::string out;
    scanTemplate(
        templates.text(query), [&](std::string_view text) { out += text; },
        [&](std::string_view name) {
            if (name == "variant") {
                out += variant;
            } else if (name == "variant_label") {
                out += templates.variantLabel;
            } else if (name == "job") {
                out += promqlString(expansion.job);
            } else if (name == "selector") {
                out += selector;
            } else if (name == "window") {
                out += promqlDuration(expansion.window);
            } else if (name == "quantile") {
                char buffer[32];
                std::snprintf(buffer, sizeof buffer, "%g", expansion.quantile);
                out += buffer;
            }
        });
    return out;
}

std::string promqlDuration(std::chrono::milliseconds duration)
{
    const auto ms = duration.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string promqlString(std::string_view value)
{
    std::string out = "\"";
    for (char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    out += '"';
    return out;
}

bool isLabelName(std::string_view name)
{
    if (name.empty() || (name.front() >= '0' && name.front() <= '9'))
        return false;
    return std::all_of(name.begin(), name.end(), isNameChar);
}

} // namespace canary::prometheus
