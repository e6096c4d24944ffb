#include "httpclient.h"

#include <QBuffer>
#include <QEventLoop>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

QByteArray HttpReply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

nlohmann::json HttpReply::json() const
{
    return nlohmann::json::parse(body.constBegin(), body.constEnd(), nullptr, false);
}

HttpReply HttpClient::send(const HttpCall &call, int timeoutMs)
{
    return sendAll({call}, timeoutMs).front();
}

HttpReply HttpClient::get(const QString &path, const HttpHeaders &headers)
{
    return send({"GET", path, {}, headers});
}

std::vector<HttpReply> HttpClient::sendAll(const std::vector<HttpCall> &calls, int timeoutMs)
{
    std::vector<HttpReply> replies(calls.size());
    std::vector<QNetworkReply *> pending(calls.size(), nullptr);
    QEventLoop loop;
    std::size_t open = calls.size();
    for (std::size_t i = 0; i < calls.size(); ++i) {
        QUrl url = m_base;
        url.setPath(calls[i].path);
        QNetworkRequest request(url);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                             QNetworkRequest::ManualRedirectPolicy);
        for (const auto &[name, value] : calls[i].headers)
            request.setRawHeader(name, value);
        QNetworkReply *reply =
            calls[i].body.isEmpty()
                ? m_manager.sendCustomRequest(request, calls[i].method)
                : m_manager.sendCustomRequest(request, calls[i].method, calls[i].body);
        pending[i] = reply;
        QObject::connect(reply, &QNetworkReply::finished, &loop, [&, i, reply] {
            auto &out = replies[i];
            out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            out.body = reply->readAll();
            for (const auto &pair : reply->rawHeaderPairs())
                out.headers.emplace_back(pair.first, pair.second);
            if (out.status == 0)
                out.error = reply->errorString();
            pending[i] = nullptr;
            reply->deleteLater();
            if (--open == 0)
                loop.quit();
        });
    }
    if (open > 0) {
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    for (std::size_t i = 0; i < pending.size(); ++i) {
        if (pending[i]) {
            QObject::disconnect(pending[i], nullptr, &loop, nullptr);
            pending[i]->abort();
            pending[i]->deleteLater();
            replies[i].error = QStringLiteral("timed out");
        }
    }
    return replies;
}

bool sameJson(const nlohmann::json &actual, const nlohmann::json &expected)
{
    if (actual == expected)
        return true;
    qWarning("actual:   %s\nexpected: %s", actual.dump().c_str(), expected.dump().c_str());
    return false;
}
