#include "simulatedbackend.h"

#include "metrics/histogramquantile.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace canary::simulation {

namespace {

constexpr const char *kProductionVersion = "production";
constexpr const char *kCanaryVersion = "canary";

} // namespace

class SimulatedBackend::Control final : public ControlPlane
{
public:
    explicit Control(SimulatedBackend &backend)
        : m_backend(backend)
    {}

    ControlPlaneCapabilities capabilities() const override
    {
        ControlPlaneCapabilities c;
        c.kind = "simulation";
        c.revisions = false;
        c.staging = false;
        return c;
    }
    std::string address() const override { return "simulation"; }

    void fetchState(QObject *context, Callback onDone) override
    {
        m_backend.catchUp();
        ControlResult result;
        result.state = m_backend.m_state;
        answer(context, std::move(onDone), std::move(result));
    }
    void setCanaryWeight(Weight weight, std::int64_t, QObject *context, Callback onDone) override
    {
        answer(context, std::move(onDone),
               m_backend.change(
                   [&] {
                       m_backend.m_state.canary->weight = weight;
                       m_backend.m_state.production.weight = weight.complement();
                   },
                   true));
    }
    void promote(std::int64_t, QObject *context, Callback onDone) override
    {
        answer(context, std::move(onDone),
               m_backend.change(
                   [&] {
                       auto &s = m_backend.m_state;
                       s.canary->weight = Weight::fromTenths(1000);
                       s.production.weight = Weight();
                       s.phase = RolloutPhase::Promoted;
                       m_backend.m_promotedAtS = m_backend.elapsedSeconds();
                   },
                   true));
    }
    void rollback(std::int64_t, QObject *context, Callback onDone) override
    {
        answer(context, std::move(onDone),
               m_backend.change(
                   [&] {
                       auto &s = m_backend.m_state;
                       s.canary->weight = Weight();
                       s.production.weight = Weight::fromTenths(1000);
                       s.phase = RolloutPhase::RolledBack;
                       m_backend.m_rolledBackAtS = m_backend.elapsedSeconds();
                   },
                   true));
    }
    void stageCanary(const nlohmann::json &, std::int64_t, QObject *context,
                     Callback onDone) override
    {
        ControlResult result;
        result.error.kind = ControlError::Kind::Rejected;
        result.error.requestSent = false;
        result.error.detail = "The simulation stages its canary from the scenario file.";
        answer(context, std::move(onDone), std::move(result));
    }

private:
    void answer(QObject *context, Callback onDone, ControlResult result)
    {
        m_backend.deliver(
            context, [onDone = std::move(onDone), result = std::move(result)] { onDone(result); });
    }

    SimulatedBackend &m_backend;
};

class SimulatedBackend::Metrics final : public MetricsSource
{
public:
    explicit Metrics(SimulatedBackend &backend)
        : m_backend(backend)
    {}

    MetricsCapabilities capabilities() const override
    {
        MetricsCapabilities c;
        c.kind = "simulation";
        c.history = false;
        return c;
    }
    std::string address() const override { return "simulation"; }
    void read(std::vector<std::chrono::milliseconds> windows, QObject *context,
              ReadCallback onDone) override
    {
        auto reading = m_backend.reading(windows);
        m_backend.deliver(context, [onDone = std::move(onDone), reading = std::move(reading)] {
            onDone(reading);
        });
    }
    void readHistory(SystemTime, SystemTime, std::chrono::milliseconds, std::chrono::milliseconds,
                     QObject *context, HistoryCallback onDone) override
    {
        MetricsHistory history;
        history.error = "The simulation keeps no history to back-fill from.";
        m_backend.deliver(context, [onDone = std::move(onDone), history = std::move(history)] {
            onDone(history);
        });
    }

private:
    SimulatedBackend &m_backend;
};

SimulatedBackend::SimulatedBackend(const SimulationScenario &scenario, std::uint64_t runSeed,
                                   Scheduler &scheduler)
    : m_scenario(scenario)
    , m_scheduler(scheduler)
    , m_start(scheduler.clock().now())
    , m_traffic(scenario, runSeed)
    , m_control(std::make_unique<Control>(*this))
    , m_metrics(std::make_unique<Metrics>(*this))
{
    m_state.revision = 1;
    m_state.phase = RolloutPhase::Canary;
    m_state.production = {VariantRole::Production, "model", kProductionVersion,
                          Weight::fromTenths(1000)};
    m_state.canary = VariantInfo{VariantRole::Canary, "model", kCanaryVersion, Weight()};
    m_state.updatedAt = m_start;
    m_deliveryTimer = m_scheduler.createTimer([this] {
        // Answers queued by the answers run in the next round, like a real event loop's.
        auto pending = std::move(m_pending);
        m_pending.clear();
        for (auto &[context, answer] : pending) {
            if (context)
                answer();
        }
    });
}

SimulatedBackend::~SimulatedBackend() = default;

ControlPlane *SimulatedBackend::controlPlane() const
{
    return m_control.get();
}

MetricsSource *SimulatedBackend::metrics() const
{
    return m_metrics.get();
}

double SimulatedBackend::elapsedSeconds() const
{
    return std::chrono::duration<double>(m_scheduler.clock().now() - m_start).count();
}

void SimulatedBackend::catchUp()
{
    const auto due = std::int64_t(std::floor(elapsedSeconds()));
    while (m_traffic.generatedSeconds() < due)
        m_traffic.generateSecond(m_state.canaryWeight());
}

void SimulatedBackend::deliver(QObject *context, std::function<void()> answer)
{
    m_pending.emplace_back(QPointer<QObject>(context), std::move(answer));
    if (!m_deliveryTimer->isActive())
        m_deliveryTimer->start(std::chrono::milliseconds(0));
}

ControlResult SimulatedBackend::change(const std::function<void()> &apply, bool needsCanary)
{
    // The seconds before the change are drawn at the weight they had.
    catchUp();
    ControlResult result;
    if (needsCanary && m_state.phase != RolloutPhase::Canary) {
        result.error.kind = ControlError::Kind::Conflict;
        result.error.httpStatus = 409;
        result.error.title = "Conflict";
        result.error.detail = "The simulated rollout has no canary in progress (it is " +
                              std::string(toString(m_state.phase)) + ").";
        result.error.current = m_state;
        return result;
    }
    apply();
    ++m_state.revision;
    m_state.updatedAt = m_scheduler.clock().now();
    result.state = m_state;
    return result;
}

metrics::VariantKpis SimulatedBackend::variantKpis(VariantRole role, std::int64_t from,
                                                   std::int64_t to) const
{
    using metrics::Kpi;
    metrics::VariantKpis k;
    const auto totals = m_traffic.totals(role, from, to);
    const double seconds = double(to - from);
    auto reason = [&k](Kpi kpi, std::string why) {
        k.reasons[std::size_t(kpi)] = std::move(why);
    };
    k.requestsInWindow = double(totals.requests);
    k.errorsInWindow = double(totals.errors);
    k.feedbackInWindow = double(totals.labelled);
    k.correctInWindow = double(totals.correct);
    k.requestRate = double(totals.requests) / seconds;
    const auto &variant = role == VariantRole::Canary ? *m_state.canary : m_state.production;
    k.weightPercent = variant.weight.percent();
    k.versions = {variant.version};
    if (totals.requests > 0) {
        k.activeVersions = {variant.version};
        k.errorRatio = double(totals.errors) / double(totals.requests);
        k.latencyBuckets = m_traffic.latency(role, from, to);
        k.p50Seconds = metrics::histogramQuantile(0.5, k.latencyBuckets);
        k.p95Seconds = metrics::histogramQuantile(0.95, k.latencyBuckets);
        k.p99Seconds = metrics::histogramQuantile(0.99, k.latencyBuckets);
    } else {
        const std::string why = "no requests in the window";
        reason(Kpi::ErrorRate, why);
        reason(Kpi::LatencyP50, why);
        reason(Kpi::LatencyP95, why);
        reason(Kpi::LatencyP99, why);
    }
    if (totals.labelled > 0)
        k.accuracy = double(totals.correct) / double(totals.labelled);
    else
        reason(Kpi::Accuracy, "no labelled predictions in the window");
    return k;
}

MetricsReading SimulatedBackend::reading(const std::vector<std::chrono::milliseconds> &windows)
{
    catchUp();
    MetricsReading reading;
    const std::int64_t newest = m_traffic.generatedSeconds();
    reading.time = m_start + std::chrono::seconds(newest);
    for (const auto window : windows) {
        const auto length =
            std::max<std::int64_t>(1, std::llround(double(window.count()) / 1000.0));
        const std::int64_t from = std::max<std::int64_t>(0, newest - length);
        if (newest <= from) {
            reading.windows.emplace_back(std::nullopt);
            continue;
        }
        KpiSnapshot snapshot;
        snapshot.from = m_start + std::chrono::seconds(from);
        snapshot.to = reading.time;
        snapshot.readings = 1;
        snapshot.kpis.time = snapshot.to;
        snapshot.kpis.elapsedSeconds = double(newest - from);
        snapshot.kpis.production = variantKpis(VariantRole::Production, from, newest);
        snapshot.kpis.canary = variantKpis(VariantRole::Canary, from, newest);
        reading.windows.emplace_back(std::move(snapshot));
    }
    return reading;
}

} // namespace canary::simulation
