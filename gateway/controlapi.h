#pragma once

#include "httpmessage.h"
#include "rolloutcontroller.h"

#include <string>
#include <string_view>

namespace canary::gateway {

// The /v1/rollout resource of Control API v1: GET is open; every mutation is checked in this
// order: bearer token (401), If-Match present (428), body (415/400), then under the
// controller's lock: already in the requested state (200), revision (412), state (409).
class ControlApi final
{
public:
    ControlApi(RolloutController &controller, std::string token);

    static bool handles(std::string_view path);
    // The Allow header value for a path this class handles.
    static std::string_view allowedMethod(std::string_view path);
    HttpResponse handle(const HttpRequest &request);

    // Constant-time comparison of "Bearer <token>" against the configured token.
    bool authorized(std::string_view authorizationHeader) const;

private:
    HttpResponse answer(const RolloutController::Outcome &outcome) const;
    static HttpResponse stateResponse(const RolloutState &state);

    RolloutController &m_controller;
    const std::string m_token;
};

} // namespace canary::gateway
