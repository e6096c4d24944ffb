#include "loadgenerator.h"

#include "dataplane.h"
#include "random.h"
#include "router.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>

namespace canary::gateway {

namespace net = boost::asio;

namespace {
constexpr auto kTick = std::chrono::milliseconds(10);
constexpr std::uint64_t kMaxBurst = 2000; // after a stall, catch up gradually
} // namespace

struct LoadGenerator::State : std::enable_shared_from_this<LoadGenerator::State>
{
    State(net::io_context &io, DataPlane &plane, LoadSettings s, std::uint64_t seed)
        : ioc(io)
        , strand(net::make_strand(io))
        , timer(strand)
        , dataPlane(plane)
        , settings(s)
        , random(Router::mix(seed ^ 0x4c6f616447656eULL))
    {}

    void tick()
    {
        if (stopped)
            return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const auto due = std::uint64_t(elapsed * settings.rps);
        std::uint64_t burst = 0;
        while (sent < due && burst++ < kMaxBurst)
            sendOne();
        if (sent < due)
            started += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(double(due - sent) / settings.rps));
        timer.expires_after(kTick);
        timer.async_wait([self = shared_from_this()](const boost::system::error_code &ec) {
            if (!ec)
                self->tick();
        });
    }

    void sendOne()
    {
        ++sent;
        sentTotal.store(sent, std::memory_order_relaxed);
        DataPlane::PredictRequest request;
        request.key = "user-" + std::to_string(random.next() % kUsers);
        const int label = int(random.next() & 1);
        request.label = label;
        const bool labelled = random.uniform() < settings.labelledShare;
        auto self = shared_from_this();
        dataPlane.predict(std::move(request), [self, label,
                                               labelled](DataPlane::PredictResult result) {
            if (!labelled || result.status != 200 || self->stopped)
                return;
            auto feedbackTimer = std::make_shared<net::steady_timer>(
                self->ioc, std::chrono::milliseconds(self->settings.feedbackDelayMs));
            feedbackTimer->async_wait([self, feedbackTimer, label,
                                       id = result.requestId](const boost::system::error_code &ec) {
                if (!ec && !self->stopped)
                    self->dataPlane.feedback(id, label);
            });
        });
    }

    net::io_context &ioc;
    net::strand<net::io_context::executor_type> strand;
    net::steady_timer timer;
    DataPlane &dataPlane;
    LoadSettings settings;
    Random random;
    std::chrono::steady_clock::time_point started;
    std::uint64_t sent = 0;
    std::atomic<std::uint64_t> sentTotal{0};
    std::atomic<bool> stopped{false};
};

LoadGenerator::LoadGenerator(net::io_context &io, DataPlane &dataPlane, LoadSettings settings,
                             std::uint64_t seed)
    : m_state(std::make_shared<State>(io, dataPlane, settings, seed))
{}

LoadGenerator::~LoadGenerator()
{
    stop();
}

void LoadGenerator::start()
{
    if (m_state->settings.rps <= 0)
        return;
    net::post(m_state->strand, [state = m_state] {
        state->started = std::chrono::steady_clock::now();
        state->tick();
    });
}

void LoadGenerator::stop()
{
    m_state->stopped = true;
    net::post(m_state->strand, [state = m_state] { state->timer.cancel(); });
}

std::uint64_t LoadGenerator::sent() const
{
    return m_state->sentTotal.load(std::memory_order_relaxed);
}

} // namespace canary::gateway
