#include "haproxybackend.h"

#include "backends/haproxy/haproxymetricssource.h"
#include "util/join.h"

#include <QUrlQuery>

namespace canary {

namespace {

// HAProxy names backends and servers with letters, digits and "-_.:"; a space or slash would
// change the meaning of a runtime command.
bool isHaproxyName(const std::string &name)
{
    if (name.empty())
        return false;
    for (const char c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
        if (!allowed)
            return false;
    }
    return true;
}

} // namespace

std::optional<HaproxyTarget> haproxyTargetFromUrl(const QUrl &url, std::string *error)
{
    const std::string shown = url.toDisplayString(QUrl::RemoveUserInfo).toStdString();
    const auto fail = [&](std::string_view what) -> std::optional<HaproxyTarget> {
        if (error)
            *error = join({"The HAProxy URL ", shown, " ", what, "."});
        return std::nullopt;
    };
    if (!url.isValid())
        return fail("is not a valid URL");
    HaproxyTarget target;
    const QString scheme = url.scheme();
    if (scheme == QLatin1String("haproxy+unix")) {
        target.endpoint.transport = HaproxyEndpoint::Transport::Unix;
        target.endpoint.path = url.path().toStdString();
        if (!url.host().isEmpty())
            return fail("names a host; a unix socket URL has three slashes: "
                        "haproxy+unix:///run/haproxy/admin.sock?...");
        if (target.endpoint.path.empty() || target.endpoint.path == "/")
            return fail("has no socket path (haproxy+unix:///run/haproxy/admin.sock?...)");
    } else if (scheme == QLatin1String("haproxy+tcp")) {
        target.endpoint.transport = HaproxyEndpoint::Transport::Tcp;
        target.endpoint.host = url.host().toStdString();
        if (target.endpoint.host.empty())
            return fail("has no host (haproxy+tcp://127.0.0.1:9999?...)");
        if (url.port() <= 0)
            return fail("has no port (haproxy+tcp://127.0.0.1:9999?...)");
        target.endpoint.port = static_cast<quint16>(url.port());
    } else {
        return fail("has neither the scheme haproxy+unix nor haproxy+tcp");
    }
    const QUrlQuery query(url);
    std::string missing;
    for (const auto &[key, into] :
         {std::pair{"backend", &target.backend}, std::pair{"production", &target.production},
          std::pair{"canary", &target.canary}}) {
        *into = query.queryItemValue(QString::fromLatin1(key), QUrl::FullyDecoded).toStdString();
        if (into->empty())
            missing += join({missing.empty() ? "" : ", ", key});
        else if (!isHaproxyName(*into))
            return fail(join({"has ", key, "=", *into,
                              ", which is not an HAProxy name (letters, digits, - _ . :)"}));
    }
    if (!missing.empty())
        return fail(join(
            {"lacks ", missing, " (it needs ?backend=BACKEND&production=SERVER&canary=SERVER)"}));
    if (target.production == target.canary)
        return fail("names the same server as production and canary");
    return target;
}

std::unique_ptr<ControlPlane>
makeHaproxyControlPlane(const QUrl &url, const BackendContext &context, std::string *error)
{
    auto target = haproxyTargetFromUrl(url, error);
    if (!target)
        return nullptr;
    return std::make_unique<HaproxyControlPlane>(std::move(*target), context.options.timeout,
                                                 context.clock);
}

std::unique_ptr<MetricsSource>
makeHaproxyMetricsSource(const QUrl &url, const BackendContext &context, std::string *error)
{
    auto target = haproxyTargetFromUrl(url, error);
    if (!target)
        return nullptr;
    return std::make_unique<HaproxyMetricsSource>(std::move(*target), context.options.timeout,
                                                  context.clock);
}

} // namespace canary
