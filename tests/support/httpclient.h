#pragma once

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <utility>
#include <vector>

// Equality of two JSON documents that prints both when they differ (QCOMPARE cannot take json).
bool sameJson(const nlohmann::json &actual, const nlohmann::json &expected);

using HttpHeaders = std::vector<std::pair<QByteArray, QByteArray>>;

struct HttpReply
{
    int status = 0; // 0: no HTTP answer, see error
    QByteArray body;
    HttpHeaders headers;
    QString error;

    QByteArray header(const QByteArray &name) const;
    // The body as JSON; discarded (is_discarded()) when it is not.
    nlohmann::json json() const;
};

struct HttpCall
{
    QByteArray method;
    QString path;
    QByteArray body;
    HttpHeaders headers;
};

// A blocking HTTP client for tests, on QNetworkAccessManager (needs a QCoreApplication).
class HttpClient final
{
public:
    explicit HttpClient(QUrl base)
        : m_base(std::move(base))
    {}

    HttpReply send(const HttpCall &call, int timeoutMs = 10'000);
    HttpReply get(const QString &path, const HttpHeaders &headers = {});
    // Sends all calls at once and waits until every one has an answer.
    std::vector<HttpReply> sendAll(const std::vector<HttpCall> &calls, int timeoutMs = 30'000);

    void setBase(QUrl base) { m_base = std::move(base); }

private:
    QNetworkAccessManager m_manager;
    QUrl m_base;
};
