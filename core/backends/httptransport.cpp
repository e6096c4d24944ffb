#include "httptransport.h"

#include <curl/curl.h>

#include <QMetaObject>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace canary {

namespace {

struct CurlGlobal
{
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
};

void ensureCurlGlobal()
{
    static CurlGlobal global;
}

std::string toLower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(std::string_view s)
{
    auto isSpace = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    };
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return std::string(s);
}

// "host:port" of a URL, for messages (never the path, query or credentials).
std::string authorityOf(const std::string &url)
{
    std::string_view rest(url);
    if (const auto scheme = rest.find("://"); scheme != std::string_view::npos)
        rest.remove_prefix(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos)
        rest.remove_prefix(at + 1);
    return rest.empty() ? std::string("the backend") : std::string(rest);
}

// TLS fails before the request is written: the handshake comes first.
bool isTlsSetupError(int curlCode)
{
    switch (curlCode) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return true;
    default:
        return false;
    }
}

} // namespace

struct HttpTransport::Worker
{
    struct Transfer
    {
        HttpRequest request;
        QPointer<QObject> context;
        Callback onDone;
        HttpResponse response;
        curl_slist *headerList = nullptr;
        bool tooLarge = false;
        char errorBuffer[CURL_ERROR_SIZE] = {};
    };

    explicit Worker(HttpTransport *transport)
        : owner(transport)
    {
        ensureCurlGlobal();
        multi = curl_multi_init();
        thread = std::thread([this] { run(); });
    }

    ~Worker()
    {
        stopping = true;
        curl_multi_wakeup(multi);
        thread.join();
        for (auto &[easy, transfer] : active) {
            curl_multi_remove_handle(multi, easy);
            curl_easy_cleanup(easy);
            curl_slist_free_all(transfer->headerList);
        }
        curl_multi_cleanup(multi);
    }

    void enqueue(std::unique_ptr<Transfer> transfer)
    {
        {
            std::lock_guard lock(mutex);
            pending.push_back(std::move(transfer));
        }
        curl_multi_wakeup(multi);
    }

    static size_t onBody(char *data, size_t size, size_t count, void *user)
    {
        auto *t = static_cast<Transfer *>(user);
        const size_t bytes = size * count;
        if (t->response.body.size() + bytes > t->request.maxResponseBytes) {
            t->tooLarge = true;
            return 0; // makes curl abort the transfer with CURLE_WRITE_ERROR
        }
        t->response.body.append(data, bytes);
        return bytes;
    }

    static size_t onHeader(char *data, size_t size, size_t count, void *user)
    {
        auto *t = static_cast<Transfer *>(user);
        const size_t bytes = size * count;
        std::string_view line(data, bytes);
        if (line.starts_with("HTTP/")) {
            t->response.headers.clear(); // a new response (after a redirect or 100-continue)
        } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
            if (t->response.headers.size() < 256)
                t->response.headers.emplace_back(toLower(trim(line.substr(0, colon))),
                                                 trim(line.substr(colon + 1)));
        }
        return bytes;
    }

    void start(std::unique_ptr<Transfer> t)
    {
        CURL *easy = curl_easy_init();
        const HttpRequest &r = t->request;
        curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::min<long long>(r.timeout.count(), 5000)));
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, r.verifyTls ? 1L : 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, r.verifyTls ? 2L : 0L);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errorBuffer);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Worker::onBody);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Worker::onHeader);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
        curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "canary-console/" CANARY_VERSION);
        if (r.method == "GET") {
            curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.c_str());
        }
        if (!r.awsSigV4.empty()) {
            curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, r.awsSigV4.c_str());
            curl_easy_setopt(easy, CURLOPT_USERNAME, r.awsAccessKeyId.c_str());
            curl_easy_setopt(easy, CURLOPT_PASSWORD, r.awsSecretAccessKey.c_str());
        }
        // Without this curl sends "Expect: 100-continue" for larger bodies and waits for it.
        // Not for a signed request: curl's SigV4 would sign the empty header it never sends, and
        // AWS's bodies here are far below the size that makes curl ask.
        if (r.awsSigV4.empty())
            t->headerList = curl_slist_append(t->headerList, "Expect:");
        for (const auto &[name, value] : r.headers)
            t->headerList = curl_slist_append(t->headerList, (name + ": " + value).c_str());
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headerList);
        curl_multi_add_handle(multi, easy);
        active.emplace(easy, std::move(t));
    }

    void finish(CURL *easy, CURLcode code)
    {
        auto it = active.find(easy);
        std::unique_ptr<Transfer> t = std::move(it->second);
        active.erase(it);
        curl_multi_remove_handle(multi, easy);
        if (code == CURLE_OK) {
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->response.status);
        } else {
            long requestBytes = 0;
            curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &requestBytes);
            const HttpResponse::Outcome outcome = classify(code, requestBytes, t->tooLarge);
            t->response.outcome = outcome;
            t->response.status = 0;
            t->response.headers.clear();
            t->response.body.clear();
            t->response.transportError = describe(outcome, code, t->request,
                                                  t->errorBuffer[0] ? std::string(t->errorBuffer)
                                                                    : curl_easy_strerror(code));
        }
        curl_easy_cleanup(easy);
        curl_slist_free_all(t->headerList);
        t->headerList = nullptr;
        deliver(std::move(t));
    }

    void deliver(std::unique_ptr<Transfer> t)
    {
        // Hop to the owner's thread first: only there can the context's lifetime be checked.
        QMetaObject::invokeMethod(
            owner,
            [transfer = std::shared_ptr<Transfer>(std::move(t))] {
                if (transfer->context)
                    transfer->onDone(std::move(transfer->response));
            },
            Qt::QueuedConnection);
    }

    void run()
    {
        while (!stopping) {
            std::deque<std::unique_ptr<Transfer>> incoming;
            {
                std::lock_guard lock(mutex);
                incoming.swap(pending);
            }
            for (auto &t : incoming)
                start(std::move(t));
            int running = 0;
            curl_multi_perform(multi, &running);
            int queued = 0;
            while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
                if (msg->msg == CURLMSG_DONE)
                    finish(msg->easy_handle, msg->data.result);
            }
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
        }
    }

    HttpTransport *owner;
    CURLM *multi = nullptr;
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::deque<std::unique_ptr<Transfer>> pending;
    std::unordered_map<CURL *, std::unique_ptr<Transfer>> active; // worker thread only
};

HttpTransport::HttpTransport(QObject *parent)
    : QObject(parent)
    , m_worker(std::make_unique<Worker>(this))
{}

HttpTransport::~HttpTransport() = default;

void HttpTransport::send(HttpRequest request, QObject *context, Callback onDone)
{
    auto transfer = std::make_unique<Worker::Transfer>();
    transfer->request = std::move(request);
    transfer->context = context;
    transfer->onDone = std::move(onDone);
    m_worker->enqueue(std::move(transfer));
}

HttpResponse::Outcome HttpTransport::classify(int curlCode, long requestBytesSent, bool tooLarge)
{
    using Outcome = HttpResponse::Outcome;
    if (curlCode == CURLE_OK)
        return Outcome::Answered;
    if (tooLarge)
        return Outcome::TooLarge;
    switch (curlCode) {
    case CURLE_UNSUPPORTED_PROTOCOL:
        // Either the URL's scheme, or an answer in no HTTP version curl accepts (HTTP/0.9).
        return requestBytesSent > 0 ? Outcome::NoAnswer : Outcome::NotSent;
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return Outcome::NotSent;
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
        return Outcome::NoAnswer; // the backend was reached and sent something back, or hung up
    default:
        if (isTlsSetupError(curlCode))
            return Outcome::NotSent;
        // Timeouts and resets: curl counts the request bytes it wrote, so none means the
        // connection was never ready (e.g. a connect timeout) and nothing reached the backend.
        return requestBytesSent > 0 ? Outcome::NoAnswer : Outcome::NotSent;
    }
}

std::string HttpTransport::describe(HttpResponse::Outcome outcome, int curlCode,
                                    const HttpRequest &request, const std::string &detail)
{
    using Outcome = HttpResponse::Outcome;
    const std::string where = authorityOf(request.url);
    const std::string ms = std::to_string(request.timeout.count()) + " ms";
    switch (outcome) {
    case Outcome::Answered:
        return {};
    case Outcome::TooLarge:
        return "The answer from " + where + " is larger than " +
               std::to_string(request.maxResponseBytes) +
               " bytes, more than the console accepts, so it was dropped.";
    case Outcome::NotSent:
        switch (curlCode) {
        case CURLE_COULDNT_CONNECT:
            return "Could not connect to " + where +
                   " (connection refused or unreachable: is the backend running?); the request "
                   "was not sent.";
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return "The host name in " + where +
                   " could not be resolved; the request was not sent.";
        case CURLE_OPERATION_TIMEDOUT:
            return "Timed out after " + ms + " without a connection to " + where +
                   "; the request was not sent.";
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            // Not the whole URL: it may hold credentials or a token in its query.
            return "The address of " + where + " cannot be used (" + detail +
                   "); the request was not sent.";
        default:
            break;
        }
        if (isTlsSetupError(curlCode))
            return "The TLS connection to " + where + " could not be set up (" + detail +
                   "); the request was not sent.";
        return "The request to " + where + " could not be sent (" + detail + ").";
    case Outcome::NoAnswer:
        if (curlCode == CURLE_OPERATION_TIMEDOUT)
            return "The request was sent, but " + where + " did not answer: timed out after " + ms +
                   ".";
        if (curlCode == CURLE_GOT_NOTHING)
            return "The request was sent, but " + where +
                   " closed the connection without answering.";
        if (curlCode == CURLE_WEIRD_SERVER_REPLY || curlCode == CURLE_UNSUPPORTED_PROTOCOL)
            return "The request was sent, but what " + where + " sent back is not HTTP (" + detail +
                   ").";
        return "The request was sent, but no complete answer came from " + where + " (" + detail +
               ").";
    }
    return detail;
}

std::string HttpTransport::curlVersion()
{
    return curl_version_info(CURLVERSION_NOW)->version;
}

} // namespace canary
