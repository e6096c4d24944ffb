#include "kpi.h"

#include "metrics/histogramquantile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
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

// The KPI inputs, each read from one metric's series.
enum class Source : std::uint8_t { Requests, Errors, Feedback, Correct, Duration };
constexpr std::size_t kSourceCount = 5;
constexpr std::array<std::string_view, kSourceCount> kSourceNames = {
    names::kRequests, names::kErrors, names::kFeedback, names::kCorrect, names::kDuration};

std::size_t sourceIndex(Source source)
{
    return static_cast<std::size_t>(source);
}

std::string_view sourceName(Source source)
{
    return kSourceNames[sourceIndex(source)];
}

// What one sample is to the KPIs.
enum class Part { None, CounterValue, Created, Bucket, Count, Sum, Weight };

struct Classified
{
    Part part = Part::None;
    Source source = Source::Requests;
};

Classified classify(std::string_view name)
{
    if (name == names::kWeight) {
        return {Part::Weight, Source::Requests};
    }
    for (std::size_t i = 0; i < kSourceCount; ++i) {
        const auto source = static_cast<Source>(i);
        std::string_view base = kSourceNames[i];
        if (source == Source::Duration) {
            if (!name.starts_with(base)) {
                continue;
            }
            const auto suffix = name.substr(base.size());
            if (suffix == "_bucket") {
                return {Part::Bucket, source};
            }
            if (suffix == "_count") {
                return {Part::Count, source};
            }
            if (suffix == "_sum") {
                return {Part::Sum, source};
            }
            if (suffix == "_created") {
                return {Part::Created, source};
            }
            continue;
        }
        if (name == base) {
            return {Part::CounterValue, source};
        }
        // An OpenMetrics counter `foo` has the samples foo_total and foo_created.
        base.remove_suffix(std::string_view("_total").size());
        if (name.size() == base.size() + 8 && name.starts_with(base) &&
            name.ends_with("_created")) {
            return {Part::Created, source};
        }
    }
    return {};
}

struct WeightSeries
{
    std::string version;
    double value = 0;
};

} // namespace

// One exposition's KPI series, flattened once per scrape (see Scrape::kpiSeries).
struct KpiSeries
{
    struct Series
    {
        // Metric name and label set (without `le`): the identity across scrapes. It lies in
        // KpiSeries::keys, in series order, so that merging two scrapes reads memory in order.
        std::string_view key;
        std::size_t keyHash = 0;
        Source source = Source::Requests;
        std::size_t role = 0;
        std::string version;
        std::optional<double> value;   // a counter's value, or a histogram's _count
        std::vector<Bucket> buckets;   // a histogram's cumulative buckets, sorted by bound
        std::optional<double> created; // OpenMetrics _created: when the series began (Unix s)
        std::optional<double> sum;     // a histogram's _sum: the observed seconds so far
        bool invalid = false;          // a negative or non-finite value or bucket
        std::string problem;           // a histogram bucket with a missing or invalid le

        bool histogram() const { return source == Source::Duration; }
        // The observations so far: a counter's value, a histogram's _count or top bucket.
        double total() const
        {
            if (value) {
                return *value;
            }
            return buckets.empty() ? 0 : buckets.back().cumulativeCount;
        }
    };

    KpiSeries() = default;
    KpiSeries(const KpiSeries &) = delete; // `series` points into `keys`
    KpiSeries &operator=(const KpiSeries &) = delete;

    std::vector<Series> series; // in identityOrder, so that two scrapes merge in one pass
    std::string keys;           // every series' key, back to back
    std::array<std::vector<WeightSeries>, kRoleCount> weights;
    std::array<std::vector<std::string>, kRoleCount> versions; // sorted, without repeats
    // Per role, the sources (and, last, the weight) that had one label set twice: their sums
    // are untrustworthy.
    std::array<std::array<bool, kSourceCount + 1>, kRoleCount> duplicates{};
    std::vector<std::string> warnings;
};

namespace {

constexpr std::size_t kWeightDuplicate = kSourceCount;

// A total order on series identities that is the same in every scrape; by hash first, which
// settles almost every comparison without reading the keys.
bool identityOrder(const KpiSeries::Series &a, const KpiSeries::Series &b)
{
    if (a.keyHash != b.keyHash) {
        return a.keyHash < b.keyHash;
    }
    return a.key < b.key;
}

void warn(std::vector<std::string> &warnings, std::string message)
{
    if (warnings.size() < kMaxWarnings &&
        std::find(warnings.begin(), warnings.end(), message) == warnings.end()) {
        warnings.push_back(std::move(message));
    }
}

bool invalidCount(double value)
{
    return !std::isfinite(value) || value < 0;
}

std::shared_ptr<const KpiSeries> flatten(const Exposition &exposition)
{
    auto flat = std::make_shared<KpiSeries>();
    std::unordered_map<std::string, std::size_t> index;
    std::vector<const std::string *> keyOf; // parallel to flat->series while it is built
    std::unordered_set<std::string> weightKeys;
    std::array<std::set<std::string>, kRoleCount> versions;
    for (const auto &family : exposition.families) {
        for (const auto &sample : family.samples) {
            const Classified what = classify(sample.name);
            if (what.part == Part::None) {
                continue;
            }
            const std::string *variant = findLabel(sample, names::kVariantLabel);
            const auto role = variant ? variantRoleFromString(*variant) : std::nullopt;
            if (!role) {
                warn(flat->warnings, concat({"ignored ", sample.name, " samples without a ",
                                             "production or canary variant label"}));
                continue;
            }
            const std::size_t r = roleIndex(*role);
            const std::string *versionLabel = findLabel(sample, names::kVersionLabel);
            std::string version = versionLabel ? *versionLabel : std::string();
            if (what.part != Part::Created) {
                versions[r].insert(version);
            }

            if (what.part == Part::Weight) {
                if (weightKeys.insert(seriesKey(sample.name, sample.labels)).second) {
                    flat->weights[r].push_back({std::move(version), sample.value});
                } else {
                    flat->duplicates[r][kWeightDuplicate] = true;
                }
                continue;
            }
            const bool histogram = what.source == Source::Duration;
            const auto [it, inserted] = index.try_emplace(
                seriesKey(sourceName(what.source), sample.labels, histogram ? "le" : ""),
                flat->series.size());
            if (inserted) {
                keyOf.push_back(&it->first); // a node's key stays where it is
                auto &added = flat->series.emplace_back();
                added.source = what.source;
                added.role = r;
                added.version = std::move(version);
            }
            auto &series = flat->series[it->second];
            switch (what.part) {
            case Part::CounterValue:
            case Part::Count:
                if (series.value) {
                    flat->duplicates[r][sourceIndex(what.source)] = true;
                }
                series.value = sample.value;
                series.invalid = series.invalid || invalidCount(sample.value);
                break;
            case Part::Bucket: {
                const std::string *le = findLabel(sample, "le");
                const auto bound = le ? parseBound(*le) : std::nullopt;
                if (!bound) {
                    series.problem =
                        concat({names::kDuration, "_bucket has a missing or invalid le"});
                } else {
                    series.buckets.push_back({*bound, sample.value});
                    series.invalid = series.invalid || invalidCount(sample.value);
                }
                break;
            }
            case Part::Sum:
                if (series.sum) {
                    flat->duplicates[r][sourceIndex(what.source)] = true;
                }
                series.sum = sample.value;
                break;
            case Part::Created:
                if (!series.created && std::isfinite(sample.value)) {
                    series.created = sample.value;
                }
                break;
            case Part::None:
            case Part::Weight:
                break;
            }
        }
    }
    for (auto &series : flat->series) {
        auto &buckets = series.buckets;
        std::sort(buckets.begin(), buckets.end(),
                  [](const Bucket &a, const Bucket &b) { return a.upperBound < b.upperBound; });
        const auto sameBound = [](const Bucket &a, const Bucket &b) {
            return a.upperBound == b.upperBound;
        };
        if (std::adjacent_find(buckets.begin(), buckets.end(), sameBound) != buckets.end()) {
            flat->duplicates[series.role][sourceIndex(series.source)] = true;
        }
    }
    // Sort small (hash, index) pairs, then move each series once into its place, its key into
    // `keys`. A _created sample alone is no series.
    std::vector<std::pair<std::size_t, std::size_t>> order;
    order.reserve(flat->series.size());
    std::size_t keyBytes = 0;
    for (std::size_t i = 0; i < flat->series.size(); ++i) {
        auto &series = flat->series[i];
        if (series.value || !series.buckets.empty() || !series.problem.empty()) {
            series.keyHash = std::hash<std::string>{}(*keyOf[i]);
            order.emplace_back(series.keyHash, i);
            keyBytes += keyOf[i]->size();
        }
    }
    std::sort(order.begin(), order.end(), [&](const auto &a, const auto &b) {
        if (a.first != b.first) {
            return a.first < b.first;
        }
        return *keyOf[a.second] < *keyOf[b.second];
    });
    std::vector<KpiSeries::Series> sorted;
    sorted.reserve(order.size());
    flat->keys.reserve(keyBytes); // no reallocation below: the views stay valid
    for (const auto &entry : order) {
        const std::string &key = *keyOf[entry.second];
        auto &series = sorted.emplace_back(std::move(flat->series[entry.second]));
        series.key = std::string_view(flat->keys.data() + flat->keys.size(), key.size());
        flat->keys += key;
    }
    flat->series = std::move(sorted);
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        flat->versions[r].assign(versions[r].begin(), versions[r].end());
    }
    return flat;
}

std::string roleName(std::size_t r)
{
    return std::string(toString(roleAt(r)));
}

std::string missingReason(std::string_view metric, std::size_t r)
{
    return concat({"no ", metric, " series for the ", roleName(r), " variant"});
}

// One source summed over a role's series and over every interval of the window.
struct SourceSum
{
    double delta = 0;
    bool present = false; // a series in some scrape after the first
    bool invalid = false;
    bool duplicate = false;
    std::string problem;
    std::map<std::string, double> perVersion;
    std::map<double, double> buckets; // histograms: le -> summed delta of the cumulative count
    // Histograms: the summed deltas of _count (or the top bucket) and of _sum, for the mean.
    double countDelta = 0;
    double sumDelta = 0;
    bool sumMissing = false; // a series without _sum in some interval
    bool sumInvalid = false; // a _sum that is negative or not finite
};

struct WindowSums
{
    std::array<std::array<SourceSum, kSourceCount>, kRoleCount> sources;
    std::array<std::vector<CounterReset>, kRoleCount> resets;
    std::array<std::optional<SystemTime>, kRoleCount> restartedAt;
};

double unixSeconds(SystemTime time)
{
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

bool sameBounds(const std::vector<Bucket> &a, const std::vector<Bucket> &b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Bucket &x, const Bucket &y) {
        return x.upperBound == y.upperBound;
    });
}

// Adds one series' increase over one interval to its sum; `before` is null for a series the
// previous scrape did not have. Returns whether the series fell (a reset).
bool addInterval(SourceSum &sum, const KpiSeries::Series *before, const KpiSeries::Series &now,
                 SystemTime previousTime)
{
    sum.present = true;
    if (!now.problem.empty()) {
        sum.problem = now.problem;
    }
    if (now.invalid || (before && before->invalid)) {
        sum.invalid = true;
    }
    if (sum.invalid || !sum.problem.empty()) {
        return false;
    }
    // A histogram whose bounds changed is a new series as far as differencing goes.
    if (before && now.histogram() && !sameBounds(before->buckets, now.buckets)) {
        before = nullptr;
    }
    bool reset = false;
    double scale = 1; // how much of the current value is increase: all (reset, new) or the delta
    if (!before) {
        // Prometheus' first-sample rule: a starting point, unless it began inside the window.
        const bool bornInWindow = now.created && *now.created > unixSeconds(previousTime);
        scale = bornInWindow ? 1 : 0;
    } else {
        reset = before->value && now.value && *now.value < *before->value;
        for (std::size_t i = 0; !reset && i < now.buckets.size(); ++i) {
            reset = now.buckets[i].cumulativeCount < before->buckets[i].cumulativeCount;
        }
        // Latencies are never negative, so a _sum that fell is the same restart.
        reset = reset || (before->sum && now.sum && *now.sum < *before->sum);
    }
    const bool differenced = before && !reset;
    if (now.histogram()) {
        for (std::size_t i = 0; i < now.buckets.size(); ++i) {
            double delta = now.buckets[i].cumulativeCount * scale;
            if (differenced) {
                delta -= before->buckets[i].cumulativeCount;
            }
            sum.buckets[now.buckets[i].upperBound] += delta;
        }
        sum.countDelta += now.total() * scale - (differenced ? before->total() : 0);
        if (!now.sum || (differenced && !before->sum)) {
            sum.sumMissing = true;
        } else if (invalidCount(*now.sum) || (differenced && invalidCount(*before->sum))) {
            sum.sumInvalid = true;
        } else {
            sum.sumDelta += *now.sum * scale - (differenced ? *before->sum : 0);
        }
    } else {
        double delta = *now.value * scale;
        if (differenced) {
            delta -= *before->value;
        }
        sum.delta += delta;
        sum.perVersion[now.version] += delta;
    }
    return reset;
}

void addResetOnce(std::vector<CounterReset> &resets, const KpiSeries::Series &series, SystemTime at)
{
    const std::string_view metric = sourceName(series.source);
    const bool known = std::any_of(resets.begin(), resets.end(), [&](const CounterReset &reset) {
        return reset.seenAt == at && reset.metric == metric && reset.version == series.version;
    });
    if (!known) {
        resets.push_back({std::string(metric), series.version, at});
    }
}

// One interval: a merge of the two scrapes' sorted series.
void addPair(WindowSums &sums, const KpiSeries &before, SystemTime beforeTime, const KpiSeries &now,
             SystemTime nowTime)
{
    std::array<std::size_t, kRoleCount> counting{}; // series that had counted something
    std::array<std::size_t, kRoleCount> fell{};
    auto old = before.series.begin();
    for (const auto &series : now.series) {
        while (old != before.series.end() && identityOrder(*old, series)) {
            ++old;
        }
        const KpiSeries::Series *previous =
            old != before.series.end() && old->keyHash == series.keyHash && old->key == series.key
                ? &*old
                : nullptr;
        auto &sum = sums.sources[series.role][sourceIndex(series.source)];
        const bool reset = addInterval(sum, previous, series, beforeTime);
        if (previous && previous->total() > 0) {
            ++counting[series.role];
        }
        if (reset) {
            ++fell[series.role];
            addResetOnce(sums.resets[series.role], series, nowTime);
        }
    }
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        for (std::size_t s = 0; s < kSourceCount; ++s) {
            if (now.duplicates[r][s] || before.duplicates[r][s]) {
                sums.sources[r][s].duplicate = true;
            }
        }
        if (counting[r] > 0 && fell[r] == counting[r]) {
            sums.restartedAt[r] = nowTime;
        }
    }
}

// Why a source cannot be used, or "" when it can.
std::string sourceProblem(const SourceSum &sum, Source source, std::size_t r)
{
    const std::string_view name = sourceName(source);
    if (!sum.present) {
        return missingReason(
            source == Source::Duration ? concat({name, "_bucket"}) : std::string(name), r);
    }
    if (sum.duplicate) {
        return concat({name, " has duplicate series"});
    }
    if (!sum.problem.empty()) {
        return sum.problem;
    }
    if (sum.invalid) {
        return source == Source::Duration ? concat({name, " has a negative or non-finite bucket"})
                                          : concat({name, " has a negative or non-finite value"});
    }
    if (!std::isfinite(sum.delta)) {
        return concat({name, " rose by more than a number can hold in the window"});
    }
    return {};
}

void setUnknown(VariantKpis &kpis, Kpi kpi, std::string reason)
{
    kpis.reasons[static_cast<std::size_t>(kpi)] = std::move(reason);
}

// The one door through which a number becomes a KPI: a non-finite value is unknown instead.
void setKnown(VariantKpis &kpis, Kpi kpi, double &field, double value, std::string_view what)
{
    if (std::isfinite(value)) {
        field = value;
    } else {
        setUnknown(kpis, kpi, concat({what, " is too large to be a number"}));
    }
}

constexpr const char *kMinusInfBound =
    "canary_request_duration_seconds has a -Inf bucket bound, so it gives no latency";

// Why a set of latency quantiles from one histogram is not a latency, or "" when it is one.
std::string latencyProblem(const std::array<double, 3> &quantiles)
{
    for (double q : quantiles) {
        if (q == -std::numeric_limits<double>::infinity()) {
            return kMinusInfBound;
        }
        if (!std::isfinite(q)) {
            return concat(
                {names::kDuration, " has bucket bounds too large to interpolate between"});
        }
        if (q < 0) {
            return concat({names::kDuration, " has negative bucket bounds; a latency is not"});
        }
    }
    if (!(quantiles[0] <= quantiles[1] && quantiles[1] <= quantiles[2])) {
        return concat({names::kDuration, " gives quantiles out of order (p50 above p99): its "
                                         "bucket bounds are too large to interpolate between"});
    }
    return {};
}

void fillLatency(VariantKpis &kpis, const SourceSum &histogram, std::size_t r)
{
    const std::array<std::pair<Kpi, double *>, 3> targets = {
        std::pair{Kpi::LatencyP50, &kpis.p50Seconds}, std::pair{Kpi::LatencyP95, &kpis.p95Seconds},
        std::pair{Kpi::LatencyP99, &kpis.p99Seconds}};
    std::string reason = sourceProblem(histogram, Source::Duration, r);
    std::vector<Bucket> buckets;
    if (reason.empty()) {
        for (const auto &[le, delta] : histogram.buckets) {
            buckets.push_back({le, delta});
        }
        const auto inf = histogram.buckets.find(std::numeric_limits<double>::infinity());
        if (inf == histogram.buckets.end()) {
            reason =
                concat({names::kDuration, " has no +Inf bucket for the ", roleName(r), " variant"});
        } else if (!std::isfinite(inf->second)) {
            reason =
                concat({names::kDuration, " rose by more than a number can hold in the window"});
        } else if (inf->second <= 0) {
            reason = "no requests in the window";
        } else if (buckets.size() < 2) {
            reason = concat({names::kDuration, " has no finite bucket"});
        } else if (buckets.front().upperBound == -std::numeric_limits<double>::infinity()) {
            // Interpolating from -Inf gives -Inf or NaN: no latency at all.
            reason = kMinusInfBound;
        }
    }
    static constexpr std::array<double, 3> kQuantiles = {0.5, 0.95, 0.99};
    std::array<double, 3> values{};
    for (std::size_t i = 0; reason.empty() && i < targets.size(); ++i) {
        values[i] = histogramQuantile(kQuantiles[i], buckets);
        if (std::isnan(values[i])) {
            reason = "the latency histogram gave no quantile";
        }
    }
    if (reason.empty()) {
        reason = latencyProblem(values);
    }
    if (reason.empty()) { // only a histogram that gives a latency gives thresholds
        kpis.latencyBuckets = buckets;
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (reason.empty()) {
            *targets[i].second = values[i];
        } else {
            setUnknown(kpis, targets[i].first, reason);
        }
    }
}

// The mean latency: the window's _sum increase over its _count increase.
void fillMean(VariantKpis &kpis, const SourceSum &histogram, std::size_t r)
{
    std::string reason = sourceProblem(histogram, Source::Duration, r);
    if (!reason.empty()) {
        // The histogram itself cannot be read; the reason says why.
    } else if (histogram.sumMissing) {
        reason = concat({names::kDuration, " has no _sum for the ", roleName(r), " variant"});
    } else if (histogram.sumInvalid) {
        reason = concat({names::kDuration, "_sum has a negative or non-finite value"});
    } else if (!std::isfinite(histogram.countDelta) || !std::isfinite(histogram.sumDelta)) {
        reason = concat({names::kDuration, " rose by more than a number can hold in the window"});
    } else if (histogram.countDelta <= 0) {
        reason = "no requests in the window";
    } else {
        const double mean = histogram.sumDelta / histogram.countDelta;
        if (!std::isfinite(mean) || mean < 0) {
            reason = concat({names::kDuration, "_sum gives no mean latency"});
        } else {
            kpis.meanSeconds = mean;
        }
    }
    kpis.meanReason = std::move(reason);
}

void fillWeight(VariantKpis &kpis, const KpiSeries &current, std::size_t r)
{
    const auto &series = current.weights[r];
    if (series.empty()) {
        setUnknown(kpis, Kpi::Weight, missingReason(names::kWeight, r));
        return;
    }
    if (current.duplicates[r][kWeightDuplicate]) {
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

// A ratio of two counters' increases (errors / requests, correct / feedback), or why not.
std::string ratioProblem(const SourceSum &part, Source partSource, const SourceSum &whole,
                         Source wholeSource, std::size_t r, const char *nothing)
{
    if (auto problem = sourceProblem(whole, wholeSource, r); !problem.empty()) {
        return problem;
    }
    if (auto problem = sourceProblem(part, partSource, r); !problem.empty()) {
        return problem;
    }
    if (whole.delta <= 0) {
        return nothing;
    }
    return {};
}

VariantKpis variantKpis(std::size_t r, const WindowSums &sums, const KpiSeries &now,
                        double elapsedSeconds)
{
    const auto &sources = sums.sources[r];
    const auto &requests = sources[sourceIndex(Source::Requests)];
    const auto &errors = sources[sourceIndex(Source::Errors)];
    const auto &feedback = sources[sourceIndex(Source::Feedback)];
    const auto &correct = sources[sourceIndex(Source::Correct)];
    VariantKpis kpis;
    kpis.versions = now.versions[r];
    for (const auto &[version, delta] : requests.perVersion) {
        if (delta > 0) {
            kpis.activeVersions.push_back(version);
        }
    }
    kpis.resets = sums.resets[r];
    kpis.restartedAt = sums.restartedAt[r];

    const auto inWindow = [&](const SourceSum &sum, Source source, double &field) {
        if (sourceProblem(sum, source, r).empty()) {
            field = sum.delta;
        }
    };
    inWindow(requests, Source::Requests, kpis.requestsInWindow);
    inWindow(errors, Source::Errors, kpis.errorsInWindow);
    inWindow(feedback, Source::Feedback, kpis.feedbackInWindow);
    inWindow(correct, Source::Correct, kpis.correctInWindow);

    if (auto problem = sourceProblem(requests, Source::Requests, r); !problem.empty()) {
        setUnknown(kpis, Kpi::RequestRate, std::move(problem));
    } else {
        setKnown(kpis, Kpi::RequestRate, kpis.requestRate, requests.delta / elapsedSeconds,
                 "the request rate");
    }

    if (auto problem = ratioProblem(errors, Source::Errors, requests, Source::Requests, r,
                                    "no requests in the window");
        !problem.empty()) {
        setUnknown(kpis, Kpi::ErrorRate, std::move(problem));
    } else {
        // Counters are read one after the other, so errors can run a little ahead.
        kpis.errorRatio = std::min(1.0, errors.delta / requests.delta);
    }

    if (auto problem = ratioProblem(correct, Source::Correct, feedback, Source::Feedback, r,
                                    "no labelled feedback in the window");
        !problem.empty()) {
        setUnknown(kpis, Kpi::Accuracy, std::move(problem));
    } else {
        kpis.accuracy = std::min(1.0, correct.delta / feedback.delta);
    }

    fillLatency(kpis, sources[sourceIndex(Source::Duration)], r);
    fillMean(kpis, sources[sourceIndex(Source::Duration)], r);
    fillWeight(kpis, now, r);
    return kpis;
}

// Where a window cannot be computed at all, or "" when it can.
std::string windowProblem(std::span<const Scrape *const> scrapes)
{
    if (scrapes.size() < 2) {
        return "a window needs at least two scrapes";
    }
    for (std::size_t i = 0; i < scrapes.size(); ++i) {
        const bool last = i + 1 == scrapes.size();
        if (!scrapes[i]->exposition.ok()) {
            return last ? "the current scrape did not parse"
                        : (i == 0 ? "the previous scrape did not parse"
                                  : "a scrape inside the window did not parse");
        }
        if (i > 0 && scrapes[i]->time <= scrapes[i - 1]->time) {
            return scrapes.size() == 2
                       ? "the current scrape is not later than the previous one"
                       : "the scrapes of the window are not each later than the one before";
        }
    }
    return {};
}

KpiResult computeOver(std::span<const Scrape *const> scrapes)
{
    KpiResult result;
    if (!scrapes.empty()) {
        result.time = scrapes.back()->time;
        result.elapsedSeconds =
            std::chrono::duration<double>(scrapes.back()->time - scrapes.front()->time).count();
    }
    result.error = windowProblem(scrapes);
    if (!result.ok()) {
        for (std::size_t r = 0; r < kRoleCount; ++r) {
            for (Kpi kpi : kAllKpis) {
                setUnknown(result.variant(roleAt(r)), kpi, result.error);
            }
            result.variant(roleAt(r)).meanReason = result.error;
        }
        return result;
    }

    // Scrapes made by makeScrape() carry their series; others are flattened here, once each.
    std::vector<std::shared_ptr<const KpiSeries>> series;
    series.reserve(scrapes.size());
    for (const Scrape *scrape : scrapes) {
        series.push_back(scrape->kpiSeries ? scrape->kpiSeries : flatten(scrape->exposition));
    }
    const KpiSeries &now = *series.back();
    result.warnings = now.warnings;

    WindowSums sums;
    for (std::size_t i = 1; i < scrapes.size(); ++i) {
        addPair(sums, *series[i - 1], scrapes[i - 1]->time, *series[i], scrapes[i]->time);
    }
    result.production = variantKpis(0, sums, now, result.elapsedSeconds);
    result.canary = variantKpis(1, sums, now, result.elapsedSeconds);
    return result;
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

bool isKpiFamily(std::string_view familyName)
{
    // A family's samples are named after it: OpenMetrics adds suffixes (_total, _created,
    // _bucket), and text 0.0.4 makes a sample name without a TYPE line its own family, so
    // canary_requests_created is one there.
    if (familyName.empty()) {
        return false;
    }
    for (std::string_view name : {names::kRequests, names::kErrors, names::kFeedback,
                                  names::kCorrect, names::kDuration, names::kWeight}) {
        if (name.ends_with("_total")) {
            name.remove_suffix(std::string_view("_total").size());
        }
        if (name.starts_with(familyName) || familyName.starts_with(name)) {
            return true;
        }
    }
    return false;
}

Scrape makeScrape(SystemTime time, Exposition exposition)
{
    Scrape scrape{time, std::move(exposition), nullptr};
    if (scrape.exposition.ok()) {
        scrape.kpiSeries = flatten(scrape.exposition);
    }
    return scrape;
}

KpiResult computeKpisOver(std::span<const Scrape> scrapes)
{
    std::vector<const Scrape *> pointers;
    pointers.reserve(scrapes.size());
    for (const Scrape &scrape : scrapes) {
        pointers.push_back(&scrape);
    }
    return computeOver(pointers);
}

KpiResult computeKpis(const Scrape &previous, const Scrape &current)
{
    const std::array<const Scrape *, 2> pair = {&previous, &current};
    return computeOver(pair);
}

} // namespace canary::metrics
