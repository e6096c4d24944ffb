#pragma once

#include "backends/backendfactory.h"
#include "backends/haproxy/haproxycontrolplane.h"

#include <QUrl>

#include <memory>
#include <optional>
#include <string>

namespace canary {

// Reads haproxy+unix:///PATH?backend=B&production=S1&canary=S2 or
// haproxy+tcp://HOST:PORT?backend=B&production=S1&canary=S2 (docs/haproxy.md). On a bad URL
// returns nullopt and sets `error` to a sentence naming the URL and what is missing.
std::optional<HaproxyTarget> haproxyTargetFromUrl(const QUrl &url, std::string *error);

// The makers the backend factory calls for the haproxy+unix and haproxy+tcp schemes.
std::unique_ptr<ControlPlane>
makeHaproxyControlPlane(const QUrl &url, const BackendContext &context, std::string *error);
std::unique_ptr<MetricsSource>
makeHaproxyMetricsSource(const QUrl &url, const BackendContext &context, std::string *error);

} // namespace canary
