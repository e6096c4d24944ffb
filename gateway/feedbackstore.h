#pragma once

#include "domain/rolloutstate.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace canary::gateway {

// Remembers recent predictions so that a label sent later can be scored against them.
// Bounded by capacity (the oldest is forgotten first) and by a time to live; every operation is
// amortised O(1). Thread-safe.
class FeedbackStore final
{
public:
    struct Prediction
    {
        VariantRole variant = VariantRole::Production;
        std::string version;
        nlohmann::json prediction;
    };

    enum class Status { Recorded, Unknown, AlreadyLabelled };

    struct Result
    {
        Status status = Status::Unknown;
        Prediction served;
        bool correct = false;
    };

    FeedbackStore(std::size_t capacity, std::chrono::milliseconds ttl);

    void remember(const std::string &requestId, Prediction prediction, SystemTime now);
    // Scores `label` against the stored prediction; a request id can be labelled once.
    Result label(const std::string &requestId, const nlohmann::json &label, SystemTime now);
    std::size_t size() const;

private:
    struct Entry
    {
        Prediction prediction;
        SystemTime storedAt;
        bool labelled = false;
    };

    void expire(SystemTime now);

    const std::size_t m_capacity;
    const std::chrono::milliseconds m_ttl;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Entry> m_entries;
    std::deque<std::pair<std::string, SystemTime>> m_order; // insertion order = expiry order
};

} // namespace canary::gateway
