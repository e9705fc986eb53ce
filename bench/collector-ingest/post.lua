-- wrk script: POST one new schema v1 answer per request (unique ids per thread), and
-- count non-202 answers so the report says how many were acknowledged.
-- thread_id is set per thread by setup() (a global in each thread's own Lua state).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  -- wrk … -- PREFIX: several wrk processes at once (one per collector) send distinct ids.
  prefix = args[1] or "bench"
  counter = 0
  non202 = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d-%09d", prefix, thread_id, os.time() % 100000, counter)
  local score = counter % 11
  local body = string.format(
    '{"v":1,"id":"%s","survey":"product-nps","score":%d,"ts":"2026-03-02T10:%02d:%02dZ","trigger":"report_exported","page":"/app/reports","locale":"en-US","attributes":{"plan":"pro","country":"FR"}}',
    id, score, counter % 60, (counter * 7) % 60)
  return wrk.format(nil, "/v1/responses", nil, body)
end

function response(status, headers, body)
  if status ~= 202 then non202 = non202 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non202") end
  io.write(string.format("acknowledged: %d of %d requests (%.0f/s), non-202: %d\n",
    summary.requests - bad, summary.requests, (summary.requests - bad) / (summary.duration / 1e6), bad))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
