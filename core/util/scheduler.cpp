#include "scheduler.h"

#include <QTimer>

#include <algorithm>
#include <cassert>
#include <climits>
#include <map>

namespace canary {

namespace {

using Callback = std::shared_ptr<const std::function<void()>>;

// Runs a timer's callback from a copy of the shared pointer, so the callback stays alive even
// when the timer that owns it is destroyed from inside it.
void runCallback(Callback callback)
{
    if (callback && *callback)
        (*callback)();
}

// QTimer takes int milliseconds; a negative delay means "as soon as possible".
int qtDelay(std::chrono::milliseconds delay)
{
    return int(std::clamp<std::chrono::milliseconds::rep>(delay.count(), 0, INT_MAX));
}

class QtTimer final : public Timer
{
public:
    explicit QtTimer(std::function<void()> onTimeout)
        : m_state(std::make_shared<State>())
        , m_timer(new QTimer)
    {
        m_state->callback = std::make_shared<const std::function<void()>>(std::move(onTimeout));
        m_timer->setSingleShot(true);
        // A coarse timer may fire up to 5 % early; a shot must never come before it is due.
        m_timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(m_timer, &QTimer::timeout, m_timer, [state = m_state] {
            state->firing = true;
            runCallback(state->callback);
            state->firing = false;
        });
    }

    ~QtTimer() override
    {
        m_timer->stop();
        QObject::disconnect(m_timer, nullptr, nullptr, nullptr);
        // Deleting the QTimer inside its own timeout would pull it from under Qt's delivery of
        // that signal; the event loop deletes it once the callback has returned.
        if (m_state->firing)
            m_timer->deleteLater();
        else
            delete m_timer;
    }

    void start(std::chrono::milliseconds delay) override { m_timer->start(qtDelay(delay)); }
    void stop() override { m_timer->stop(); }
    bool isActive() const override { return m_timer->isActive(); }

private:
    struct State
    {
        Callback callback;
        bool firing = false;
    };

    std::shared_ptr<State> m_state;
    QTimer *m_timer; // owned: deleted in the destructor, or later when destroyed while firing
};

} // namespace

std::unique_ptr<Timer> QtScheduler::createTimer(std::function<void()> onTimeout)
{
    return std::make_unique<QtTimer>(std::move(onTimeout));
}

QtScheduler &QtScheduler::instance()
{
    static QtScheduler scheduler;
    return scheduler;
}

// The pending shots of one ManualScheduler. Timers point at it weakly: when the scheduler goes,
// so does this, and the timers it leaves behind find it gone and stay inactive.
struct ManualScheduler::Shared
{
    struct Pending
    {
        SystemTime due;
        std::uint64_t startOrder = 0; // breaks ties between shots due at the same instant
        Callback callback;
    };

    explicit Shared(ManualClock &c)
        : clock(c)
    {}

    // The earliest pending shot (ties in start order), or end() when none is pending.
    std::map<std::uint64_t, Pending>::iterator next()
    {
        return std::min_element(pending.begin(), pending.end(), [](const auto &a, const auto &b) {
            return std::pair(a.second.due, a.second.startOrder) <
                   std::pair(b.second.due, b.second.startOrder);
        });
    }

    // Takes the shot out before running it, so the callback may restart or destroy its timer.
    void fire(std::map<std::uint64_t, Pending>::iterator shot)
    {
        // The clock never goes back, even if a test moved it past the due time by hand.
        if (shot->second.due > clock.now())
            clock.set(shot->second.due);
        Callback callback = std::move(shot->second.callback);
        pending.erase(shot);
        firing = true;
        runCallback(std::move(callback));
        firing = false;
    }

    ManualClock &clock;
    std::map<std::uint64_t, Pending> pending; // by timer id; at most one shot per timer
    std::uint64_t nextTimerId = 1;
    std::uint64_t nextStartOrder = 1;
    bool firing = false;
};

class ManualScheduler::ManualTimer final : public Timer
{
public:
    ManualTimer(const std::shared_ptr<Shared> &shared, std::function<void()> onTimeout)
        : m_shared(shared)
        , m_id(shared->nextTimerId++)
        , m_callback(std::make_shared<const std::function<void()>>(std::move(onTimeout)))
    {}

    ~ManualTimer() override { stop(); }

    void start(std::chrono::milliseconds delay) override
    {
        const std::shared_ptr<Shared> shared = m_shared.lock();
        if (!shared)
            return;
        const auto due = shared->clock.now() + std::max(delay, std::chrono::milliseconds(0));
        shared->pending[m_id] = {due, shared->nextStartOrder++, m_callback};
    }

    void stop() override
    {
        if (const std::shared_ptr<Shared> shared = m_shared.lock())
            shared->pending.erase(m_id);
    }

    bool isActive() const override
    {
        const std::shared_ptr<Shared> shared = m_shared.lock();
        return shared && shared->pending.count(m_id) != 0;
    }

private:
    std::weak_ptr<Shared> m_shared;
    std::uint64_t m_id;
    Callback m_callback;
};

ManualScheduler::ManualScheduler(ManualClock &clock)
    : m_clock(clock)
    , m_shared(std::make_shared<Shared>(clock))
{}

ManualScheduler::~ManualScheduler() = default;

std::unique_ptr<Timer> ManualScheduler::createTimer(std::function<void()> onTimeout)
{
    return std::make_unique<ManualTimer>(m_shared, std::move(onTimeout));
}

void ManualScheduler::advance(std::chrono::milliseconds by)
{
    assert(!m_shared->firing && "advance() called from inside a timer's callback");
    const SystemTime end = m_clock.now() + std::max(by, std::chrono::milliseconds(0));
    // Looks for the next shot afresh after every callback: it may have started or stopped timers.
    for (auto shot = m_shared->next(); shot != m_shared->pending.end() && shot->second.due <= end;
         shot = m_shared->next())
        m_shared->fire(shot);
    if (end > m_clock.now())
        m_clock.set(end);
}

bool ManualScheduler::fireNext()
{
    assert(!m_shared->firing && "fireNext() called from inside a timer's callback");
    const auto shot = m_shared->next();
    if (shot == m_shared->pending.end())
        return false;
    m_shared->fire(shot);
    return true;
}

std::optional<SystemTime> ManualScheduler::nextDue() const
{
    const auto shot = m_shared->next();
    if (shot == m_shared->pending.end())
        return std::nullopt;
    return shot->second.due;
}

int ManualScheduler::activeTimers() const
{
    return int(m_shared->pending.size());
}

} // namespace canary
