-- SPDX-License-Identifier: GPL-3.0-or-later
-- wrk script of bench/bench-portal-proxy. MODE (environment):
--   one    answers of the customers in TOKENS, round robin, all forwarded
--          for ONE client address (a CGNAT address behind the proxy)
--   many   the same requests, each customer forwarded for its own address
--   guess  page requests for random, well-formed links nobody has
-- done() prints one RESULT line with the counts by status.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = os.getenv("MODE")
  tokens = {}
  if mode ~= "guess" then
    for line in io.lines(os.getenv("TOKENS")) do
      tokens[#tokens + 1] = line
    end
  end
  event_id = os.getenv("EVENT_ID")
  nthreads = tonumber(os.getenv("WRK_THREADS"))
  index = tid
  n2xx, n404, n429, nother = 0, 0, 0, 0
  math.randomseed(os.time() + tid * 7919)
  alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  pass = 0
end

local function random_token()
  local t = {}
  for i = 1, 43 do
    local k = math.random(1, 64)
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end

function request()
  if mode == "guess" then
    return wrk.format("GET", "/r/" .. random_token())
  end
  local i = index % #tokens
  index = index + nthreads
  if i < nthreads then pass = pass + 1 end
  local client = mode == "one" and "203.0.113.7" or ("198.18." .. math.floor(i / 250) .. "." .. (i % 250 + 1))
  -- alternate the answer per pass so every accepted one writes a change
  local answer = (pass % 2 == 0) and "accept" or "deny"
  return wrk.format("POST", "/api/v1/answers",
    { ["Authorization"] = "Bearer " .. tokens[i + 1],
      ["Content-Type"] = "application/json",
      ["X-Forwarded-For"] = client },
    '{"event_id": ' .. event_id .. ', "answer": "' .. answer .. '"}')
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
  elseif status == 404 then
    n404 = n404 + 1
  elseif status == 429 then
    n429 = n429 + 1
  else
    nother = nother + 1
  end
end

function done(summary, latency, requests)
  local a, b, c, d = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("n2xx")
    b = b + t:get("n404")
    c = c + t:get("n429")
    d = d + t:get("nother")
  end
  local s = summary.duration / 1e6
  io.write(string.format(
    "RESULT ok2xx=%d n404=%d n429=%d other=%d seconds=%.2f ok_per_s=%.1f n404_per_s=%.1f all_per_s=%.1f p99_ms=%.2f\n",
    a, b, c, d, s, a / s, b / s, (a + b + c + d) / s, latency:percentile(99) / 1000))
end
