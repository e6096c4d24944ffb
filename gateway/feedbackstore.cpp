#include "feedbackstore.h"

namespace canary::gateway {

FeedbackStore::FeedbackStore(std::size_t capacity, std::chrono::milliseconds ttl)
    : m_capacity(capacity == 0 ? 1 : capacity)
    , m_ttl(ttl)
{}

void FeedbackStore::expire(SystemTime now)
{
    while (!m_order.empty() && m_order.front().second + m_ttl <= now) {
        auto it = m_entries.find(m_order.front().first);
        // The id may have been stored again later; only the matching generation goes.
        if (it != m_entries.end() && it->second.storedAt == m_order.front().second)
            m_entries.erase(it);
        m_order.pop_front();
    }
}

void FeedbackStore::remember(const std::string &requestId, Prediction prediction, SystemTime now)
{
    std::lock_guard lock(m_mutex);
    expire(now);
    while (m_entries.size() >= m_capacity && !m_order.empty()) {
        auto it = m_entries.find(m_order.front().first);
        if (it != m_entries.end() && it->second.storedAt == m_order.front().second)
            m_entries.erase(it);
        m_order.pop_front();
    }
    m_entries.insert_or_assign(requestId, Entry{std::move(prediction), now, false});
    m_order.emplace_back(requestId, now);
}

FeedbackStore::Result FeedbackStore::label(const std::string &requestId,
                                           const nlohmann::json &label, SystemTime now)
{
    std::lock_guard lock(m_mutex);
    expire(now);
    Result result;
    auto it = m_entries.find(requestId);
    if (it == m_entries.end())
        return result;
    result.served = it->second.prediction;
    if (it->second.labelled) {
        result.status = Status::AlreadyLabelled;
        return result;
    }
    it->second.labelled = true;
    result.status = Status::Recorded;
    result.correct = it->second.prediction.prediction == label;
    return result;
}

std::size_t FeedbackStore::size() const
{
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

} // namespace canary::gateway
