#pragma once

#include "util/clock.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace canary {

// A single-shot timer made by a Scheduler. Restarting it replaces the pending shot.
class Timer
{
public:
    virtual ~Timer() = default;
    virtual void start(std::chrono::milliseconds delay) = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;
};

// Everything that waits asks a Scheduler, as everything that reads the time asks a Clock, so the
// monitor and the rollout controller run on virtual time in tests: no sleeps, no loosened bounds.
class Scheduler
{
public:
    virtual ~Scheduler() = default;
    // `onTimeout` runs on the thread that created the timer; never after the timer is destroyed.
    virtual std::unique_ptr<Timer> createTimer(std::function<void()> onTimeout) = 0;
    // The clock the delays are measured on.
    virtual const Clock &clock() const = 0;
};

// Real time: QTimer on the calling thread's event loop, and the system clock.
class QtScheduler final : public Scheduler
{
public:
    std::unique_ptr<Timer> createTimer(std::function<void()> onTimeout) override;
    const Clock &clock() const override { return SystemClock::instance(); }
    static QtScheduler &instance();
};

// Virtual time: timers fire only inside advance() and fireNext(), in due order (ties in the order
// they were started), each with the clock set to its due time. A timer started or stopped by a
// firing timer counts within the same advance(), so a timer that restarts itself is a poll loop.
// Timers and the scheduler may be destroyed in either order: a timer that outlives its scheduler
// is inactive and never fires. Not thread-safe; one thread drives it, and advance() is not
// re-entrant (a callback must not call advance() or fireNext()).
class ManualScheduler final : public Scheduler
{
public:
    explicit ManualScheduler(ManualClock &clock);
    ~ManualScheduler() override;

    std::unique_ptr<Timer> createTimer(std::function<void()> onTimeout) override;
    const Clock &clock() const override { return m_clock; }

    // Moves the clock forward by `by`, firing every timer that falls due on the way (timers
    // started by a firing timer included), then leaves the clock at the end.
    void advance(std::chrono::milliseconds by);
    // Fires the next due timer, moving the clock to it; false when no timer is active.
    bool fireNext();
    // When the next active timer is due; nullopt when none is.
    std::optional<SystemTime> nextDue() const;
    int activeTimers() const;

private:
    struct Shared;
    class ManualTimer;

    ManualClock &m_clock;
    std::shared_ptr<Shared> m_shared;
};

} // namespace canary
