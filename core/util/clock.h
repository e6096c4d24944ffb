#pragma once

#include "domain/rolloutstate.h"

#include <atomic>

namespace canary {

// Everything that depends on time asks a Clock, so rollouts can run in fast simulation and tests
// never sleep. Thread-safe.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual SystemTime now() const = 0;
};

class SystemClock final : public Clock
{
public:
    SystemTime now() const override;
    static const SystemClock &instance();
};

// A clock that moves only when told to.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(
        SystemTime start = SystemTime(std::chrono::milliseconds(1'700'000'000'000)))
        : m_ms(start.time_since_epoch().count())
    {}
    SystemTime now() const override { return SystemTime(std::chrono::milliseconds(m_ms.load())); }
    void advance(std::chrono::milliseconds by) { m_ms += by.count(); }
    void set(SystemTime time) { m_ms = time.time_since_epoch().count(); }

private:
    std::atomic<std::int64_t> m_ms;
};

} // namespace canary
