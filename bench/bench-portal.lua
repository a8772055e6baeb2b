-- SPDX-License-Identifier: GPL-3.0-or-later
-- wrk script of bench/bench-portal: every request is a JSON answer of a
-- DIFFERENT customer (tokens precomputed by `drdeskctl links`, file given
-- in the TOKENS environment variable), so every 2xx is one new row
-- written. Counts statuses per thread; done() prints one RESULT line.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("TOKENS")) do
    tokens[#tokens + 1] = line
  end
  event_id = os.getenv("EVENT_ID")
  nthreads = tonumber(os.getenv("WRK_THREADS"))
  index = tid + 1
  ok2xx = 0
  other = 0
  exhausted = 0
  sent = 0
  body = '{"event_id": ' .. event_id .. ', "answer": "accept"}'
end

function request()
  local token = tokens[index]
  if token == nil then
    -- More requests than customers: wrap (would rewrite rows; reported).
    exhausted = exhausted + 1
    index = tid + 1
    token = tokens[index]
  end
  index = index + nthreads
  sent = sent + 1
  return wrk.format("POST", "/api/v1/answers",
    { ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok, bad, wrapped, sent = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok2xx")
    bad = bad + t:get("other")
    wrapped = wrapped + t:get("exhausted")
    sent = sent + t:get("sent")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT ok2xx=%d other=%d wrapped=%d sent=%d errors=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    ok, bad, wrapped, sent,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    seconds, ok / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
