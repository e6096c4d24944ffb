#include "controlplane.h"

namespace canary {

namespace {

std::string reasonPhrase(long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 428:
        return "Precondition Required";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "HTTP error";
    }
}

} // namespace

std::string ControlError::message() const
{
    switch (kind) {
    case Kind::None:
        return {};
    case Kind::Unreachable:
        // The transport's sentence says whether the request left.
        return "backend unreachable: " + detail;
    case Kind::BadAnswer:
        if (answerLimitBytes > 0) {
            // The detail, when there is one, names the system and the request.
            if (!detail.empty())
                return detail;
            return "the answer from the backend was larger than " +
                   std::to_string(answerLimitBytes) + " bytes and was not read";
        }
        return "malformed answer from the backend: " + detail;
    default:
        break;
    }
    if (httpStatus == 0) // a backend that does not speak HTTP: its own words
        return title.empty() ? detail : detail.empty() ? title : title + ": " + detail;
    std::string text =
        std::to_string(httpStatus) + " " + (title.empty() ? reasonPhrase(httpStatus) : title);
    if (!detail.empty())
        text += ": " + detail;
    return text;
}

} // namespace canary
