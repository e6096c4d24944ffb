#include "kpi.h"

#include "metrics/histogramquantile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <utility>

namespace canary::metrics {

namespace {

constexpr std::size_t kMaxWarnings = 16;
constexpr std::size_t kRoleCount = 2;

std::size_t roleIndex(VariantRole role)
{
    return role == VariantRole::Production ? 0 : 1;
}

VariantRole roleAt(std::size_t index)
{
    return index == 0 ? VariantRole::Production : VariantRole::Canary;
}

std::string concat(std::initializer_list<std::string_view> parts)
{
    std::string out;
    for (auto part : parts) {
        out += part;
    }
    return out;
}

const std::string *findLabel(const Sample &sample, std::string_view name)
{
    for (const auto &label : sample.labels) {
        if (label.name == name) {
            return &label.value;
        }
    }
    return nullptr;
}

// An unambiguous identity for a label set (order-insensitive), optionally without one label.
std::string seriesKey(std::string_view name, const std::vector<Label> &labels,
                      std::string_view skip = {})
{
    std::vector<const Label *> sorted;
    sorted.reserve(labels.size());
    for (const auto &label : labels) {
        if (skip.empty() || label.name != skip) {
            sorted.push_back(&label);
        }
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const Label *a, const Label *b) { return a->name < b->name; });
    std::string key(name);
    for (const Label *label : sorted) {
        key += '\0';
        key += std::to_string(label->name.size());
        key += ':';
        key += label->name;
        key += std::to_string(label->value.size());
        key += ':';
        key += label->value;
    }
    return key;
}

// `le` as Prometheus writes it: a float, "+Inf" included.
std::optional<double> parseBound(std::string_view text)
{
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    double value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size() ||
        std::isnan(value)) {
        return std::nullopt;
    }
    return value;
}

bool isCounterName(std::string_view name)
{
    return name == names::kRequests || name == names::kErrors || name == names::kFeedback ||
           name == names::kCorrect;
}

enum class HistogramPart { None, Bucket, Count };

HistogramPart histogramPart(std::string_view name)
{
    if (!name.starts_with(names::kDuration)) {
        return HistogramPart::None;
    }
    const auto suffix = name.substr(names::kDuration.size());
    if (suffix == "_bucket") {
        return HistogramPart::Bucket;
    }
    if (suffix == "_count") {
        return HistogramPart::Count;
    }
    return HistogramPart::None;
}

struct CounterSeries
{
    std::string name;
    VariantRole role = VariantRole::Production;
    std::string version;
    double value = 0;
};

struct HistogramSeries
{
    VariantRole role = VariantRole::Production;
    std::string version;
    std::map<double, double> buckets; // le -> cumulative count
    std::optional<double> count;
    std::string problem;
};

struct WeightSeries
{
    std::string version;
    double value = 0;
};

// The part of one exposition the KPIs need, keyed by series identity.
struct Flat
{
    std::map<std::string, CounterSeries> counters;
    std::map<std::string, HistogramSeries> histograms; // keyed without `le`
    std::array<std::vector<WeightSeries>, kRoleCount> weights;
    std::array<std::set<std::string>, kRoleCount> versions;
    // (role, sample name) pairs that appeared twice with one label set: their sums are
    // untrustworthy.
    std::set<std::pair<std::size_t, std::string>> duplicates;
    std::vector<std::string> warnings;
};

void warn(std::vector<std::string> &warnings, std::string message)
{
    if (warnings.size() < kMaxWarnings &&
        std::find(warnings.begin(), warnings.end(), message) == warnings.end()) {
        warnings.push_back(std::move(message));
    }
}

Flat flatten(const Exposition &exposition)
{
    Flat flat;
    std::set<std::string> seen;
    for (const auto &family : exposition.families) {
        for (const auto &sample : family.samples) {
            const bool counter = isCounterName(sample.name);
            const HistogramPart part = histogramPart(sample.name);
            const bool weight = sample.name == names::kWeight;
            if (!counter && part == HistogramPart::None && !weight) {
                continue;
            }
            const std::string *variant = findLabel(sample, names::kVariantLabel);
            const auto role = variant ? variantRoleFromString(*variant) : std::nullopt;
            if (!role) {
                warn(flat.warnings, concat({"ignored ", sample.name, " samples without a ",
                                            "production or canary variant label"}));
                continue;
            }
            const std::size_t r = roleIndex(*role);
            const std::string *versionLabel = findLabel(sample, names::kVersionLabel);
            std::string version = versionLabel ? *versionLabel : std::string();

            if (!seen.insert(seriesKey(sample.name, sample.labels)).second) {
                flat.duplicates.emplace(r, sample.name);
                continue;
            }
            flat.versions[r].insert(version);

            if (counter) {
                flat.counters.emplace(seriesKey(sample.name, sample.labels),
                                      CounterSeries{sample.name, *role, version, sample.value});
            } else if (weight) {
                flat.weights[r].push_back({version, sample.value});
            } else {
                auto &series = flat.histograms[seriesKey(names::kDuration, sample.labels, "le")];
                series.role = *role;
                series.version = version;
                if (part == HistogramPart::Count) {
                    series.count = sample.value;
                    continue;
                }
                const std::string *le = findLabel(sample, "le");
                const auto bound = le ? parseBound(*le) : std::nullopt;
                if (!bound) {
                    series.problem =
                        concat({names::kDuration, "_bucket has a missing or invalid le"});
                } else {
                    series.buckets[*bound] = sample.value;
                }
            }
        }
    }
    return flat;
}

// One counter summed over a role's series.
struct CounterSum
{
    double delta = 0;
    bool present = false;
    std::string problem;
    std::map<std::string, double> perVersion;
};

std::string roleName(std::size_t r)
{
    return std::string(toString(roleAt(r)));
}

std::string missingReason(std::string_view metric, std::size_t r)
{
    return concat({"no ", metric, " series for the ", roleName(r), " variant"});
}

std::array<CounterSum, kRoleCount> sumCounter(std::string_view name, const Flat &previous,
                                              const Flat &current)
{
    std::array<CounterSum, kRoleCount> sums;
    for (const auto &[key, series] : current.counters) {
        if (series.name != name) {
            continue;
        }
        auto &sum = sums[roleIndex(series.role)];
        sum.present = true;
        if (!std::isfinite(series.value) || series.value < 0) {
            sum.problem = concat({name, " has a negative or non-finite value"});
            continue;
        }
        double delta = series.value;
        if (auto it = previous.counters.find(key); it != previous.counters.end()) {
            const double before = it->second.value;
            if (!std::isfinite(before) || before < 0) {
                sum.problem = concat({name, " had a negative or non-finite value before"});
                continue;
            }
            if (series.value >= before) {
                delta = series.value - before;
            }
        }
        sum.delta += delta;
        sum.perVersion[series.version] += delta;
    }
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        if (current.duplicates.contains({r, std::string(name)})) {
            sums[r].problem = concat({name, " has duplicate series"});
        }
        if (!sums[r].present) {
            sums[r].problem = missingReason(name, r);
        }
    }
    return sums;
}

struct HistogramSum
{
    std::map<double, double> buckets; // le -> delta of the cumulative count
    bool present = false;
    std::string problem;
};

std::array<HistogramSum, kRoleCount> sumHistogram(const Flat &previous, const Flat &current)
{
    std::array<HistogramSum, kRoleCount> sums;
    for (const auto &[key, series] : current.histograms) {
        auto &sum = sums[roleIndex(series.role)];
        sum.present = true;
        if (!series.problem.empty()) {
            sum.problem = series.problem;
            continue;
        }
        const auto invalid = [](const auto &entry) {
            return !std::isfinite(entry.second) || entry.second < 0;
        };
        if (std::any_of(series.buckets.begin(), series.buckets.end(), invalid)) {
            sum.problem = concat({names::kDuration, " has a negative or non-finite bucket"});
            continue;
        }
        const auto it = previous.histograms.find(key);
        const HistogramSeries *before = it != previous.histograms.end() ? &it->second : nullptr;
        if (before && std::any_of(before->buckets.begin(), before->buckets.end(), invalid)) {
            before = nullptr; // nothing trustworthy to subtract: count from 0
        }
        // A restart resets every bucket at once, so one falling bucket (or count) means the whole
        // histogram restarted; differencing the others would mix two lifetimes.
        bool reset = false;
        if (before) {
            for (const auto &[le, value] : series.buckets) {
                auto old = before->buckets.find(le);
                reset = reset || (old != before->buckets.end() && value < old->second);
            }
            reset = reset || (series.count && before->count && *series.count < *before->count);
        }
        for (const auto &[le, value] : series.buckets) {
            double delta = value;
            if (before && !reset) {
                if (auto old = before->buckets.find(le); old != before->buckets.end()) {
                    delta -= old->second;
                }
            }
            sum.buckets[le] += delta;
        }
    }
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        if (current.duplicates.contains({r, concat({names::kDuration, "_bucket"})})) {
            sums[r].problem = concat({names::kDuration, " has duplicate series"});
        }
        if (!sums[r].present) {
            sums[r].problem = missingReason(concat({names::kDuration, "_bucket"}), r);
        }
    }
    return sums;
}

void setUnknown(VariantKpis &kpis, Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

void fillLatency(VariantKpis &kpis, const HistogramSum &histogram, std::size_t r)
{
    const std::array<std::pair<Kpi, double *>, 3> targets = {
        std::pair{Kpi::LatencyP50, &kpis.p50Seconds}, std::pair{Kpi::LatencyP95, &kpis.p95Seconds},
        std::pair{Kpi::LatencyP99, &kpis.p99Seconds}};
    std::string reason = histogram.problem;
    std::vector<Bucket> buckets;
    if (reason.empty()) {
        for (const auto &[le, delta] : histogram.buckets) {
            buckets.push_back({le, delta});
        }
        const auto inf = histogram.buckets.find(std::numeric_limits<double>::infinity());
        if (inf == histogram.buckets.end()) {
            reason =
                concat({names::kDuration, " has no +Inf bucket for the ", roleName(r), " variant"});
        } else if (inf->second <= 0) {
            reason = "no requests in the window";
        } else if (buckets.size() < 2) {
            reason = concat({names::kDuration, " has no finite bucket"});
        }
    }
    static constexpr std::array<double, 3> kQuantiles = {0.5, 0.95, 0.99};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (!reason.empty()) {
            setUnknown(kpis, targets[i].first, reason);
            continue;
        }
        *targets[i].second = histogramQuantile(kQuantiles[i], buckets);
        if (std::isnan(*targets[i].second)) {
            setUnknown(kpis, targets[i].first, "the latency histogram gave no quantile");
        }
    }
}

void fillWeight(VariantKpis &kpis, const Flat &current, std::size_t r)
{
    const auto &series = current.weights[r];
    if (series.empty()) {
        setUnknown(kpis, Kpi::Weight, missingReason(names::kWeight, r));
        return;
    }
    if (current.duplicates.contains({r, std::string(names::kWeight)})) {
        setUnknown(kpis, Kpi::Weight, concat({names::kWeight, " has duplicate series"}));
        return;
    }
    double total = 0;
    std::vector<std::string> weighted;
    for (const auto &entry : series) {
        if (!std::isfinite(entry.value) || entry.value < 0 || entry.value > 100) {
            setUnknown(kpis, Kpi::Weight, concat({names::kWeight, " is outside 0..100"}));
            return;
        }
        if (entry.value > 0) {
            weighted.push_back(entry.version);
        }
        total += entry.value;
    }
    // Old versions stay exposed after a promotion; if more than one still claims traffic the
    // gateway is contradicting itself and no single number would be honest.
    if (weighted.size() > 1) {
        std::string list;
        for (const auto &version : weighted) {
            list += list.empty() ? version : ", " + version;
        }
        setUnknown(kpis, Kpi::Weight,
                   concat({"several ", roleName(r), " versions report a weight (", list, ")"}));
        return;
    }
    kpis.weightPercent = total;
}

// Everything one scrape pair says, summed per role.
struct Sums
{
    std::array<CounterSum, kRoleCount> requests;
    std::array<CounterSum, kRoleCount> errors;
    std::array<CounterSum, kRoleCount> feedback;
    std::array<CounterSum, kRoleCount> correct;
    std::array<HistogramSum, kRoleCount> histograms;
};

VariantKpis variantKpis(std::size_t r, const Sums &sums, const Flat &now, double elapsedSeconds)
{
    const auto &requests = sums.requests;
    const auto &errors = sums.errors;
    const auto &feedback = sums.feedback;
    const auto &correct = sums.correct;
    VariantKpis kpis;
    kpis.versions.assign(now.versions[r].begin(), now.versions[r].end());
    for (const auto &[version, delta] : requests[r].perVersion) {
        if (delta > 0) {
            kpis.activeVersions.push_back(version);
        }
    }

    if (requests[r].problem.empty()) {
        kpis.requestsInWindow = requests[r].delta;
        kpis.requestRate = requests[r].delta / elapsedSeconds;
    } else {
        setUnknown(kpis, Kpi::RequestRate, requests[r].problem);
    }
    if (errors[r].problem.empty()) {
        kpis.errorsInWindow = errors[r].delta;
    }
    if (feedback[r].problem.empty()) {
        kpis.feedbackInWindow = feedback[r].delta;
    }
    if (correct[r].problem.empty()) {
        kpis.correctInWindow = correct[r].delta;
    }

    if (!requests[r].problem.empty()) {
        setUnknown(kpis, Kpi::ErrorRate, requests[r].problem);
    } else if (!errors[r].problem.empty()) {
        setUnknown(kpis, Kpi::ErrorRate, errors[r].problem);
    } else if (requests[r].delta <= 0) {
        setUnknown(kpis, Kpi::ErrorRate, "no requests in the window");
    } else {
        // Counters are read one after the other, so errors can run a little ahead.
        kpis.errorRatio = std::min(1.0, errors[r].delta / requests[r].delta);
    }

    if (!feedback[r].problem.empty()) {
        setUnknown(kpis, Kpi::Accuracy, feedback[r].problem);
    } else if (!correct[r].problem.empty()) {
        setUnknown(kpis, Kpi::Accuracy, correct[r].problem);
    } else if (feedback[r].delta <= 0) {
        setUnknown(kpis, Kpi::Accuracy, "no labelled feedback in the window");
    } else {
        kpis.accuracy = std::min(1.0, correct[r].delta / feedback[r].delta);
    }

    fillLatency(kpis, sums.histograms[r], r);
    fillWeight(kpis, now, r);
    return kpis;
}

} // namespace

std::string_view toString(Kpi kpi)
{
    switch (kpi) {
    case Kpi::RequestRate:
        return "request_rate";
    case Kpi::ErrorRate:
        return "error_rate";
    case Kpi::Accuracy:
        return "accuracy";
    case Kpi::LatencyP50:
        return "latency_p50";
    case Kpi::LatencyP95:
        return "latency_p95";
    case Kpi::LatencyP99:
        return "latency_p99";
    case Kpi::Weight:
        return "weight";
    }
    return "unknown";
}

double VariantKpis::value(Kpi kpi) const
{
    switch (kpi) {
    case Kpi::RequestRate:
        return requestRate;
    case Kpi::ErrorRate:
        return errorRatio;
    case Kpi::Accuracy:
        return accuracy.value_or(kUnknown);
    case Kpi::LatencyP50:
        return p50Seconds;
    case Kpi::LatencyP95:
        return p95Seconds;
    case Kpi::LatencyP99:
        return p99Seconds;
    case Kpi::Weight:
        return weightPercent;
    }
    return kUnknown;
}

bool VariantKpis::known(Kpi kpi) const
{
    return !std::isnan(value(kpi));
}

KpiResult computeKpis(const Scrape &previous, const Scrape &current)
{
    KpiResult result;
    result.time = current.time;
    result.elapsedSeconds = std::chrono::duration<double>(current.time - previous.time).count();

    if (result.elapsedSeconds <= 0) {
        result.error = "the current scrape is not later than the previous one";
    } else if (!previous.exposition.ok()) {
        result.error = "the previous scrape did not parse";
    } else if (!current.exposition.ok()) {
        result.error = "the current scrape did not parse";
    }
    if (!result.ok()) {
        for (std::size_t r = 0; r < kRoleCount; ++r) {
            for (Kpi kpi : kAllKpis) {
                setUnknown(result.variant(roleAt(r)), kpi, result.error);
            }
        }
        return result;
    }

    const Flat before = flatten(previous.exposition);
    const Flat now = flatten(current.exposition);
    result.warnings = now.warnings;

    Sums sums;
    sums.requests = sumCounter(names::kRequests, before, now);
    sums.errors = sumCounter(names::kErrors, before, now);
    sums.feedback = sumCounter(names::kFeedback, before, now);
    sums.correct = sumCounter(names::kCorrect, before, now);
    sums.histograms = sumHistogram(before, now);
    result.production = variantKpis(0, sums, now, result.elapsedSeconds);
    result.canary = variantKpis(1, sums, now, result.elapsedSeconds);
    return result;
}

} // namespace canary::metrics
