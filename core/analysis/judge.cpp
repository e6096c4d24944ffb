#include "analysis/judge.h"

#include "util/join.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace canary::analysis {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The effect sizes each gate's mixture averages over (multiples of 1 + tolerance). Errors and
// tails regress by multiples; wrong predictions (8 % of labels) and the share above the median
// (50 %) by tens of percent, and cannot double much at all.
std::span<const double> alternativesFor(GateMetric metric)
{
    static constexpr std::array<double, 4> kSmall = {1.1, 1.25, 1.5, 2};
    switch (metric) {
    case GateMetric::ErrorRate:
    case GateMetric::LatencyTail:
        return CountEvidence::kAlternatives;
    case GateMetric::Accuracy:
    case GateMetric::LatencyBody:
        return kSmall;
    }
    return CountEvidence::kAlternatives;
}

bool isLatency(GateMetric metric)
{
    return metric == GateMetric::LatencyTail || metric == GateMetric::LatencyBody;
}

std::string groupedInteger(std::int64_t value)
{
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return value < 0 ? join({"-", out}) : out;
}

std::string formatted(const char *format, double value)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

// A rate as a percentage with the digits it needs: "2.1 %", "0.15 %", "12 %".
std::string percent(double rate)
{
    if (!std::isfinite(rate))
        return "?";
    const double p = rate * 100;
    if (p == 0)
        return "0 %";
    if (p >= 10)
        return join({formatted("%.0f", p), " %"});
    if (p >= 1)
        return join({formatted("%.1f", p), " %"});
    return join({formatted("%.2f", p), " %"});
}

// A relative change: "+110 %", "-9 %", "+0.5 %".
std::string relative(double delta)
{
    if (!std::isfinite(delta))
        return "";
    const double p = delta * 100;
    const char *format = std::fabs(p) >= 10 ? "%+.0f %%" : "%+.1f %%";
    return formatted(format, p);
}

std::string milliseconds(double seconds)
{
    const double ms = seconds * 1000;
    return join({formatted(ms >= 10 ? "%.0f" : "%.2g", ms), " ms"});
}

std::string quantileName(double q)
{
    if (q == 0.5)
        return "median";
    // p90, p99, p99.9
    std::string digits = formatted("%.4g", q * 100);
    return join({"p", digits});
}

// The smallest finite bound at or above `value` (a count "above the threshold" can only be read
// at a bound); nullopt when the value lies in the +Inf bucket.
std::optional<double> snapUp(double value, const std::vector<metrics::Bucket> &buckets)
{
    for (const auto &b : buckets) {
        if (std::isfinite(b.upperBound) && b.upperBound >= value)
            return b.upperBound;
    }
    return std::nullopt;
}

// Cumulative count at exactly `bound`; nullopt when the histogram has no such bound.
std::optional<double> countAtOrBelow(const std::vector<metrics::Bucket> &buckets, double bound)
{
    for (const auto &b : buckets) {
        if (b.upperBound == bound)
            return b.cumulativeCount;
    }
    return std::nullopt;
}

double total(const std::vector<metrics::Bucket> &buckets)
{
    return buckets.empty() ? 0 : buckets.back().cumulativeCount;
}

bool sameBounds(const std::vector<metrics::Bucket> &a, const std::vector<metrics::Bucket> &b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const metrics::Bucket &x, const metrics::Bucket &y) {
                          return x.upperBound == y.upperBound;
                      });
}

std::int64_t rounded(double value)
{
    return static_cast<std::int64_t>(std::llround(value));
}

int severity(Verdict v)
{
    switch (v) {
    case Verdict::Better:
        return 0;
    case Verdict::Pass:
        return 1;
    case Verdict::Inconclusive:
        return 2;
    case Verdict::NoData:
        return 3;
    case Verdict::Fail:
        return 4;
    }
    return 4;
}

} // namespace

std::string_view toString(GateMetric metric)
{
    switch (metric) {
    case GateMetric::ErrorRate:
        return "error_rate";
    case GateMetric::LatencyTail:
        return "latency_tail";
    case GateMetric::LatencyBody:
        return "latency_body";
    case GateMetric::Accuracy:
        return "accuracy";
    }
    return "error_rate";
}

std::optional<GateMetric> gateMetricFromString(std::string_view text)
{
    for (GateMetric m : {GateMetric::ErrorRate, GateMetric::LatencyTail, GateMetric::LatencyBody,
                         GateMetric::Accuracy}) {
        if (toString(m) == text)
            return m;
    }
    return std::nullopt;
}

std::string_view toString(Direction direction)
{
    return direction == Direction::HigherIsWorse ? "higher_is_worse" : "lower_is_worse";
}

std::optional<Direction> directionFromString(std::string_view text)
{
    if (text == "higher_is_worse")
        return Direction::HigherIsWorse;
    if (text == "lower_is_worse")
        return Direction::LowerIsWorse;
    return std::nullopt;
}

Direction naturalDirection(GateMetric metric)
{
    return metric == GateMetric::Accuracy ? Direction::LowerIsWorse : Direction::HigherIsWorse;
}

std::string_view toString(Verdict verdict)
{
    switch (verdict) {
    case Verdict::NoData:
        return "no-data";
    case Verdict::Inconclusive:
        return "inconclusive";
    case Verdict::Pass:
        return "pass";
    case Verdict::Better:
        return "better";
    case Verdict::Fail:
        return "fail";
    }
    return "no-data";
}

std::vector<GateSpec> defaultGates()
{
    GateSpec errors;
    errors.name = "errors";
    errors.metric = GateMetric::ErrorRate;
    errors.direction = Direction::HigherIsWorse;
    // Any proven rise counts (above the floor): a tolerance of +20 % would let a doubling of the
    // errors pass for over twice as long (docs/benchmarks.md measures both).
    errors.tolerance = 0;
    errors.floor = 0.002;
    errors.alphaShare = 0.4;

    GateSpec tail;
    tail.name = "latency-tail";
    tail.metric = GateMetric::LatencyTail;
    tail.tolerance = 0.2;
    tail.alphaShare = 0.3;

    GateSpec accuracy;
    accuracy.name = "accuracy";
    accuracy.metric = GateMetric::Accuracy;
    accuracy.direction = Direction::LowerIsWorse;
    // Labels are few (a share of requests, late): with a tolerance, two points of accuracy are
    // mostly not caught within a 30-minute bake.
    accuracy.tolerance = 0;
    accuracy.alphaShare = 0.2;

    GateSpec body;
    body.name = "latency-body";
    body.metric = GateMetric::LatencyBody;
    body.tolerance = 0.2; // 60 % of the canary's requests above production's median
    body.critical = false;
    body.alphaShare = 0.1;
    body.tailQuantiles = {0.5};
    return {errors, tail, accuracy, body};
}

std::optional<JudgeInterval> intervalFrom(const KpiSnapshot &snapshot)
{
    if (!snapshot.valid())
        return std::nullopt;
    JudgeInterval out;
    out.from = snapshot.from;
    out.to = snapshot.to;
    const auto fill = [](const metrics::VariantKpis &k, VariantCounts &c) {
        if (!std::isfinite(k.requestsInWindow) || k.requestsInWindow < 0)
            return false;
        c.requests = rounded(k.requestsInWindow);
        c.hasErrors = std::isfinite(k.errorsInWindow) && k.errorsInWindow >= 0;
        c.errors = c.hasErrors ? std::min(rounded(k.errorsInWindow), c.requests) : 0;
        c.hasLabels = std::isfinite(k.feedbackInWindow) && std::isfinite(k.correctInWindow) &&
                      k.feedbackInWindow >= 0 && k.correctInWindow >= 0;
        c.labelled = c.hasLabels ? rounded(k.feedbackInWindow) : 0;
        c.correct = c.hasLabels ? std::min(rounded(k.correctInWindow), c.labelled) : 0;
        c.latency = k.latencyBuckets;
        for (auto &b : c.latency)
            b.cumulativeCount = double(rounded(b.cumulativeCount));
        return true;
    };
    if (!fill(snapshot.kpis.production, out.production) || !fill(snapshot.kpis.canary, out.canary))
        return std::nullopt;
    return out;
}

std::string formatCount(std::int64_t count)
{
    return groupedInteger(count);
}

std::string formatOdds(double evidence)
{
    if (!std::isfinite(evidence))
        return evidence > 0 ? "1:inf" : "1:0";
    if (evidence >= 1e6)
        return join({"1:", formatted("%.1e", evidence)});
    if (evidence >= 10)
        return join({"1:", formatted("%.0f", evidence)});
    if (evidence >= 1)
        return join({"1:", formatted("%.1f", evidence)});
    return join({"1:", formatted("%.2g", evidence)});
}

// One gate's running test. Counts gates have one CountEvidence; latency gates have one per
// threshold of the current step, and the evidence of finished steps as a factor.
struct Judge::GateState
{
    GateSpec spec;
    double alpha = 0.05;

    // Counts gates (and each latency threshold).
    std::vector<CountEvidence> tests;
    // Latency gates.
    std::vector<double> thresholds;           // seconds, one per test
    std::vector<double> thresholdQuantiles;   // the production quantile each was fixed at
    std::vector<metrics::Bucket> calibration; // production's histogram so far in this step
    double logFactor = 0;                     // log of the finished steps' combined evidence
    std::int64_t stepCanarySamples = 0;       // labels for accuracy, requests otherwise
    std::int64_t stepProductionSamples = 0;
    bool sawInput = false; // the source gave this metric at least once
    std::optional<double> labelDelay;
    std::int64_t calibrationRequests = 2000;

    CountEvidence makeTest() const
    {
        return CountEvidence(alpha, spec.tolerance, spec.floor, alternativesFor(spec.metric));
    }

    // Log of the gate's evidence now.
    double logEvidence() const
    {
        if (tests.empty())
            return logFactor;
        // The average of the thresholds' evidence (an average of e-processes is one).
        double top = -kInf;
        for (const auto &t : tests)
            top = std::max(top, t.logEvidence());
        double sum = 0;
        for (const auto &t : tests)
            sum += std::exp(t.logEvidence() - top);
        return logFactor + top + std::log(sum / double(tests.size()));
    }

    // The test shown: the threshold with the most evidence (the only one for counts gates).
    const CountEvidence *shown() const
    {
        const CountEvidence *best = nullptr;
        for (const auto &t : tests) {
            if (!best || t.logEvidence() > best->logEvidence())
                best = &t;
        }
        return best;
    }

    bool failing() const
    {
        if (logEvidence() < std::log(1 / alpha))
            return false;
        // The floor withholds a failure while the canary's bad-event rate is under it.
        const CountEvidence *t = shown();
        return !t || t->canaryRate() >= spec.floor;
    }

    void fixThresholds(const std::vector<metrics::Bucket> &reference)
    {
        thresholds.clear();
        thresholdQuantiles.clear();
        tests.clear();
        for (double q : spec.tailQuantiles) {
            const double value = metrics::histogramQuantile(q, reference);
            if (!std::isfinite(value))
                continue;
            const auto bound = snapUp(value, reference);
            if (!bound ||
                std::find(thresholds.begin(), thresholds.end(), *bound) != thresholds.end())
                continue;
            thresholds.push_back(*bound);
            thresholdQuantiles.push_back(q);
            tests.push_back(makeTest());
        }
    }

    // Bad events of one arm above (or, lower-is-worse, at or below) threshold i.
    std::optional<std::int64_t> latencyEvents(const VariantCounts &c, std::size_t i) const
    {
        const auto below = countAtOrBelow(c.latency, thresholds[i]);
        if (!below)
            return std::nullopt;
        const double above = total(c.latency) - *below;
        return rounded(spec.direction == Direction::HigherIsWorse ? above : *below);
    }

    void add(const JudgeInterval &in)
    {
        const VariantCounts &p = in.production;
        const VariantCounts &c = in.canary;
        const bool higher = spec.direction == Direction::HigherIsWorse;
        switch (spec.metric) {
        case GateMetric::ErrorRate:
            if (!p.hasErrors || !c.hasErrors)
                return;
            sawInput = true;
            stepCanarySamples += c.requests;
            stepProductionSamples += p.requests;
            tests.front().add({c.requests, higher ? c.errors : c.requests - c.errors, p.requests,
                               higher ? p.errors : p.requests - p.errors});
            return;
        case GateMetric::Accuracy:
            if (!p.hasLabels || !c.hasLabels)
                return;
            sawInput = true;
            stepCanarySamples += c.labelled;
            stepProductionSamples += p.labelled;
            if (in.labelDelaySeconds)
                labelDelay = in.labelDelaySeconds;
            // Lower accuracy is worse: the bad events are the wrong predictions.
            tests.front().add({c.labelled, higher ? c.correct : c.labelled - c.correct, p.labelled,
                               higher ? p.correct : p.labelled - p.correct});
            return;
        case GateMetric::LatencyTail:
        case GateMetric::LatencyBody:
            break;
        }
        if (!p.hasLatency() || !c.hasLatency())
            return;
        sawInput = true;
        if (thresholds.empty()) {
            // Calibrating: production's histogram of this step, the intervals not tested on.
            if (!sameBounds(calibration, p.latency))
                calibration.assign(p.latency.begin(), p.latency.end());
            else
                for (std::size_t i = 0; i < calibration.size(); ++i)
                    calibration[i].cumulativeCount += p.latency[i].cumulativeCount;
            if (total(calibration) >= double(calibrationRequests))
                fixThresholds(calibration);
            return;
        }
        stepCanarySamples += c.requests;
        stepProductionSamples += p.requests;
        for (std::size_t i = 0; i < thresholds.size(); ++i) {
            const auto ce = latencyEvents(c, i);
            const auto pe = latencyEvents(p, i);
            if (!ce || !pe)
                continue; // a histogram without this bound says nothing about it
            tests[i].add({rounded(total(c.latency)), *ce, rounded(total(p.latency)), *pe});
        }
    }

    void startStep(const std::vector<metrics::Bucket> &reference)
    {
        stepCanarySamples = 0;
        stepProductionSamples = 0;
        if (!isLatency(spec.metric))
            return;
        // The finished step's evidence becomes a factor: the new thresholds' tests start at 1, and
        // a product of e-values taken in sequence is an e-value.
        logFactor = logEvidence();
        tests.clear();
        thresholds.clear();
        thresholdQuantiles.clear();
        calibration.clear();
        if (total(reference) >= double(calibrationRequests))
            fixThresholds(reference);
    }

    GateResult result(std::int64_t minimumSamples) const;
};

GateResult Judge::GateState::result(std::int64_t minimumSamples) const
{
    GateResult r;
    r.spec = spec;
    r.alpha = alpha;
    r.threshold = 1 / alpha;
    r.evidence = std::exp(logEvidence());
    r.thresholdsSeconds = thresholds;
    r.labelDelaySeconds = labelDelay;
    r.productionValue = kNaN;
    r.canaryValue = kNaN;
    r.delta = kNaN;
    r.ratioLow = kNaN;
    r.ratioHigh = kNaN;
    const bool accuracy = spec.metric == GateMetric::Accuracy;
    const std::string unit = accuracy ? " labels" : " requests";

    if (!sawInput) {
        r.verdict = Verdict::NoData;
        switch (spec.metric) {
        case GateMetric::ErrorRate:
            r.sentence = "no error counts from both variants yet";
            break;
        case GateMetric::Accuracy:
            r.sentence = "no labels for both variants yet: accuracy rests on labelled predictions "
                         "(a source without accuracy never gives any; drop this gate from the "
                         "plan to roll out without it)";
            break;
        default:
            r.sentence = "no latency histogram from both variants yet (a source without one never "
                         "gives it; drop this gate from the plan to roll out without it)";
        }
        return r;
    }
    if (isLatency(spec.metric) && thresholds.empty()) {
        r.verdict = Verdict::Inconclusive;
        r.sentence = join({"fixing the latency thresholds from production's first ",
                           groupedInteger(calibrationRequests), " requests of the step: ",
                           groupedInteger(rounded(total(calibration))), " so far"});
        return r;
    }
    const CountEvidence *t = shown();
    const std::size_t shownIndex = t ? std::size_t(t - tests.data()) : 0;
    r.canarySamples = t ? t->canaryRequests() : 0;
    r.productionSamples = t ? t->productionRequests() : 0;
    if (!t || r.canarySamples == 0 || r.productionSamples == 0) {
        r.verdict = Verdict::NoData;
        r.sentence = join({"no", unit, " in both variants at once yet"});
        return r;
    }
    const bool higher = spec.direction == Direction::HigherIsWorse;
    // The figures shown are the metric itself (error %, accuracy %, % above the threshold), the
    // test's bad events turned back when lower is worse.
    const auto metricRate = [&](std::int64_t events, std::int64_t n) {
        const double rate = double(events) / double(n);
        return higher || isLatency(spec.metric) ? rate : 1 - rate;
    };
    r.canaryValue = metricRate(t->canaryEvents(), r.canarySamples);
    r.productionValue = metricRate(t->productionEvents(), r.productionSamples);
    r.delta = r.productionValue > 0 ? r.canaryValue / r.productionValue - 1 : kNaN;
    if (const auto e = t->estimate()) {
        r.ratioLow = e->low;
        r.ratioHigh = e->high;
        r.provenWithinTolerance = e->high < 1 + spec.tolerance;
    } else {
        // No bad event in either arm: nothing bounds the ratio from the data yet.
        r.ratioLow = 0;
        r.ratioHigh = kInf;
    }

    std::string what;
    switch (spec.metric) {
    case GateMetric::ErrorRate:
        what = join({"canary errors ", percent(r.canaryValue), " vs ", percent(r.productionValue)});
        break;
    case GateMetric::Accuracy:
        what =
            join({"canary accuracy ", percent(r.canaryValue), " vs ", percent(r.productionValue)});
        break;
    case GateMetric::LatencyTail:
    case GateMetric::LatencyBody:
        what = join({"canary ", percent(r.canaryValue), " vs ", percent(r.productionValue),
                     " of requests ", higher ? "above " : "at or below ",
                     milliseconds(thresholds[shownIndex]), ", production's ",
                     quantileName(thresholdQuantiles[shownIndex])});
        break;
    }
    const std::string toleranceText =
        accuracy ? join({"tolerance ", percent(spec.tolerance), " more wrong predictions"})
                 : join({"tolerance ", relative(spec.tolerance)});
    const std::string deltaText = std::isfinite(r.delta) ? join({relative(r.delta), ", "}) : "";
    std::string thresholdsText;
    if (tests.size() > 1) {
        thresholdsText = " over thresholds";
        for (std::size_t i = 0; i < thresholds.size(); ++i)
            thresholdsText =
                join({thresholdsText, i ? ", " : " ", quantileName(thresholdQuantiles[i]), " ",
                      milliseconds(thresholds[i])});
    }
    const std::string counts =
        join({groupedInteger(r.canarySamples), " vs ", groupedInteger(r.productionSamples), unit});
    std::string labelsText;
    if (accuracy && labelDelay)
        labelsText = join({" (labels up to ", formatted("%.0f", *labelDelay), " s late)"});
    const std::string evidenceText =
        join({"evidence ", formatOdds(r.evidence), " against no regression", thresholdsText,
              " (rollback at ", formatOdds(r.threshold), ")"});
    const std::string head = join({what, " (", deltaText, toleranceText, "), "});

    if (r.evidence >= r.threshold) {
        if (t->canaryRate() >= spec.floor) {
            r.verdict = Verdict::Fail;
            r.sentence = join({head, evidenceText, ", ", counts, labelsText});
            return r;
        }
        r.verdict = minimumSamples > 0 &&
                            std::min(stepCanarySamples, stepProductionSamples) < minimumSamples
                        ? Verdict::Inconclusive
                        : Verdict::Pass;
        r.sentence = join({head, evidenceText, ", but the canary's ", percent(t->canaryRate()),
                           " is under the ", percent(spec.floor), " floor, ", counts, labelsText});
        return r;
    }
    if (minimumSamples > 0 && std::min(stepCanarySamples, stepProductionSamples) < minimumSamples) {
        r.verdict = Verdict::Inconclusive;
        r.sentence = join({head, evidenceText, "; not enough", unit, " yet in this step: ",
                           groupedInteger(std::min(stepCanarySamples, stepProductionSamples)),
                           " of ", groupedInteger(minimumSamples), " per variant"});
        return r;
    }
    if (r.ratioHigh < 1) {
        r.verdict = Verdict::Better;
        r.sentence =
            join({head, "better: the canary/production ratio is at most ",
                  formatted("%.2g", r.ratioHigh), " (always-valid ",
                  formatted("%.0f", 100 * (1 - alpha)), " % interval), ", counts, labelsText});
        return r;
    }
    r.verdict = Verdict::Pass;
    r.sentence = join({head, evidenceText, ", ", counts, labelsText});
    return r;
}

Judge::Judge(JudgeSettings settings)
    : m_settings(std::move(settings))
{
    if (!(m_settings.alpha > 0 && m_settings.alpha < 1))
        m_settings.alpha = 0.05;
    // The α split: named shares are kept, the rest is shared equally by the gates that name
    // none, and the whole is normalised to 1 (so the family-wise rate is at most alpha).
    const auto &gates = m_settings.gates;
    double named = 0;
    std::size_t unnamed = 0;
    for (const auto &g : gates) {
        if (g.alphaShare > 0)
            named += g.alphaShare;
        else
            ++unnamed;
    }
    const double rest = unnamed > 0 ? std::max(0.0, 1 - named) / double(unnamed) : 0;
    std::vector<double> shares;
    for (const auto &g : gates)
        shares.push_back(g.alphaShare > 0 ? g.alphaShare : rest);
    double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
    if (sum <= 0) { // every named share was 0 and nothing left: equal parts
        std::fill(shares.begin(), shares.end(), 1.0);
        sum = double(shares.size());
    }
    for (std::size_t i = 0; i < gates.size(); ++i) {
        auto state = std::make_shared<GateState>();
        state->spec = gates[i];
        state->calibrationRequests = std::max<std::int64_t>(1, m_settings.calibrationRequests);
        state->alpha = std::clamp(m_settings.alpha * shares[i] / sum, 1e-12, 1 - 1e-12);
        if (!isLatency(gates[i].metric))
            state->tests.push_back(state->makeTest());
        m_alphas.push_back(state->alpha);
        m_states.push_back(std::move(state));
    }
}

void Judge::startStep(const std::vector<metrics::Bucket> &reference)
{
    m_stepProductionRequests = 0;
    m_stepCanaryRequests = 0;
    for (auto &s : m_states)
        s->startStep(reference);
}

bool Judge::add(const JudgeInterval &in)
{
    if (m_lastTo && in.from < *m_lastTo)
        return false;
    if (in.to < in.from)
        return false;
    for (const VariantCounts *c : {&in.production, &in.canary}) {
        if (c->requests < 0 || c->errors < 0 || c->errors > c->requests || c->labelled < 0 ||
            c->correct < 0 || c->correct > c->labelled)
            return false;
        for (std::size_t i = 0; i < c->latency.size(); ++i) {
            const auto &b = c->latency[i];
            if (!(b.cumulativeCount >= 0) ||
                (i > 0 && b.cumulativeCount < c->latency[i - 1].cumulativeCount))
                return false;
        }
    }
    m_lastTo = in.to;
    m_stepProductionRequests += in.production.requests;
    m_stepCanaryRequests += in.canary.requests;
    for (auto &s : m_states)
        s->add(in);
    return true;
}

bool Judge::criticalFailure() const
{
    return std::any_of(m_states.begin(), m_states.end(),
                       [](const auto &s) { return s->spec.critical && s->failing(); });
}

std::int64_t Judge::stepRequests(VariantRole role) const
{
    return role == VariantRole::Production ? m_stepProductionRequests : m_stepCanaryRequests;
}

Judgement Judge::evaluate(std::int64_t minimumRequests, std::int64_t minimumLabels) const
{
    Judgement j;
    for (const auto &s : m_states)
        j.gates.push_back(
            s->result(s->spec.metric == GateMetric::Accuracy ? minimumLabels : minimumRequests));
    const GateResult *decisive = nullptr;
    int worst = -1;
    for (const auto &g : j.gates) {
        // A non-critical failure holds a step like an open question; it never rolls back.
        Verdict v = g.verdict;
        if (v == Verdict::Fail && !g.spec.critical)
            v = Verdict::Inconclusive;
        if (severity(v) > worst) {
            worst = severity(v);
            decisive = &g;
            j.overall = v;
        }
    }
    if (!decisive) {
        j.overall = Verdict::NoData;
        j.sentence = "no gates to judge";
        return j;
    }
    if (j.overall == Verdict::Better &&
        !std::all_of(j.gates.begin(), j.gates.end(),
                     [](const GateResult &g) { return g.verdict == Verdict::Better; }))
        j.overall = Verdict::Pass;
    switch (j.overall) {
    case Verdict::Fail:
        j.sentence =
            join({"the critical gate ", decisive->spec.name, " fails: ", decisive->sentence});
        break;
    case Verdict::NoData:
        j.sentence = join({"gate ", decisive->spec.name, " has no data: ", decisive->sentence});
        break;
    case Verdict::Inconclusive:
        j.sentence = join({"gate ", decisive->spec.name,
                           decisive->verdict == Verdict::Fail ? " (not critical) fails: "
                                                              : " is not decided yet: ",
                           decisive->sentence});
        break;
    case Verdict::Pass:
        j.sentence = join({"every gate passes (", std::to_string(j.gates.size()),
                           j.gates.size() == 1 ? " gate)" : " gates)"});
        break;
    case Verdict::Better:
        j.sentence = "the canary is better on every gate";
        break;
    }
    return j;
}

} // namespace canary::analysis
