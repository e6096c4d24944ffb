-- wrk script: POST /v1/predict with a routing key per request and a label, like real traffic.
-- With WRK_DELAY_MS set, each connection waits that long between requests, which paces the load
-- (connections x 1000 / (delay + latency) requests/s) instead of running flat out.
local counter = 0
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")

request = function()
    counter = counter + 1
    local body = string.format('{"key":"user-%d","label":%d,"inputs":{"amount":%d}}',
                               counter % 100000, counter % 2, counter % 997)
    return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, body)
end

if delay_ms > 0 then
    delay = function() return delay_ms end
end
