#pragma once

#include "domain/weight.h"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Pure readers of HAProxy runtime API answers, apart from any socket so that they can be tested
// on recorded text. Every answer is untrusted: a malformed one gives an error sentence, never a
// half-read table.
namespace canary::haproxy {

// One line of `show stat`: its fields by header name. The set and the order of the fields differ
// between HAProxy versions, so nothing is read by position.
struct StatRow
{
    std::map<std::string, std::string, std::less<>> fields;

    // The field's text; nullopt when the header has no such column or the cell is empty (HAProxy
    // leaves cells empty that do not apply to the row's kind).
    std::optional<std::string_view> text(std::string_view name) const;
    // The field as a non-negative integer counter or figure; nullopt when absent, empty or not
    // a number.
    std::optional<double> number(std::string_view name) const;
    std::string proxy() const;  // pxname
    std::string server() const; // svname: a server's name, FRONTEND or BACKEND
};

struct StatTable
{
    std::vector<std::string> header;
    std::vector<StatRow> rows;

    // The row of `server` (or "BACKEND") in proxy `proxy`; nullptr when there is none.
    const StatRow *find(std::string_view proxy, std::string_view server) const;
};

// The most bytes of a `show stat` answer read. A backend with a few servers answers with a few
// kilobytes; the whole process with thousands of servers stays well below this.
inline constexpr std::size_t kMaxStatBytes = 4 * 1024 * 1024;

// Parses `show stat` CSV: a header line starting with "# ", then one line per proxy or server.
// Quoted cells ("a,b", "say ""hi""") are read as CSV; a line with another number of cells than
// the header, a header without pxname and svname, or text without a header is an error.
std::optional<StatTable> parseShowStat(std::string_view answer, std::string *error);

// What one server serves and counts, from its `show stat` row.
struct ServerCounters
{
    std::string name;
    std::string status;              // "UP", "no check", "DOWN", "MAINT", "DRAIN", "UP 1/3", ...
    std::optional<double> requests;  // req_tot (HTTP), else stot (sessions, TCP mode)
    std::string requestsField;       // which of the two it is, for sentences
    std::optional<double> errors5xx; // hrsp_5xx; absent in TCP mode
    std::optional<double> weight;    // the effective weight HAProxy applies now
    // Averages HAProxy keeps over the last 1024 requests, in milliseconds, not window quantiles.
    std::optional<double> rtimeMs;
    std::optional<double> ttimeMs;
};

// The counters of `server` in `backend`, or an error sentence saying which is missing.
std::optional<ServerCounters> serverCounters(const StatTable &table, const std::string &backend,
                                             const std::string &server, std::string *error);

// Whether a server in this status takes new traffic in proportion to its weight. DOWN, MAINT
// (also "MAINT (via ...)") and DRAIN servers take none, NOLB takes none from the load balancer.
bool takesTraffic(std::string_view status);

// HAProxy's algorithms whose weights cannot change at run time (the runtime API then accepts only
// 0% and 100%). Hash-based algorithms are static too when `hash-type map-based` (the default):
// `show stat` does not say so, and HAProxy's own refusal to `set weight` is then reported.
bool isStaticAlgorithm(std::string_view algo);

// `get weight B/S` answers "64 (initial 0)"; the current weight, or nullopt when the answer is
// not that (an error text such as "No such server.").
std::optional<int> parseGetWeight(std::string_view answer);

// Server weights in HAProxy's runtime range.
inline constexpr int kMaxServerWeight = 256;

struct ServerWeights
{
    int production = kMaxServerWeight;
    int canary = 0;

    bool operator==(const ServerWeights &) const = default;
};

// The weights that give the canary `share` of the traffic: canary = round(share × 256 / 100),
// halves rounded up, production = 256 − canary. So the two always add up to 256 and the finest
// step is 100/256 ≈ 0.39 %.
ServerWeights weightsForShare(Weight share);

// The canary's share of new traffic that two weights give, to the nearest 0.1 % (halves up);
// nullopt when both are 0 and the backend has no server to send traffic to.
std::optional<Weight> shareOfWeights(int production, int canary);

// What asking for `requested` really gives: shareOfWeights(weightsForShare(requested)).
Weight nearestShare(Weight requested);

// Text the runtime API answers to a command that succeeded without output is empty (or only
// newlines); anything else is HAProxy's own sentence, trimmed. Empty when the command succeeded.
std::string refusalText(std::string_view answer);

// HAProxy's answer to a `set weight` on a static-algorithm backend.
bool isStaticRefusal(std::string_view refusal);
// HAProxy's answer to a command above the socket's level.
bool isPermissionRefusal(std::string_view refusal);

} // namespace canary::haproxy
