#pragma once

#include <QString>

#include <optional>

namespace canary {

// Reads a bearer token from a file: its first line, trimmed, at most 4 KiB. An unreadable or
// empty file gives nullopt and a sentence for the operator in `error`.
std::optional<QString> readTokenFile(const QString &path, QString *error);

} // namespace canary
