#pragma once

#include "gatewayconfig.h"

#include <cstdint>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace canary::gateway {

class DataPlane;

// Demo traffic without HTTP: paced predictions at a steady rate from a pool of users, each with
// a random true label (0 or 1); a share of them sends that label back as feedback after a delay,
// so accuracy becomes measurable. Runs on the io_context's timers.
class LoadGenerator final
{
public:
    static constexpr int kUsers = 5000;

    LoadGenerator(boost::asio::io_context &io, DataPlane &dataPlane, LoadSettings settings,
                  std::uint64_t seed);
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator &) = delete;
    LoadGenerator &operator=(const LoadGenerator &) = delete;

    void start();
    void stop();
    std::uint64_t sent() const;

private:
    struct State;
    std::shared_ptr<State> m_state;
};

} // namespace canary::gateway
