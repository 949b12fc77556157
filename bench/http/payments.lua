-- wrk script: single-payment POSTs to /v1/payments, spread over the sample union's 36 banks,
-- each request signed with the paying bank's own key (so no one caller hits its rate limit).
-- Keys follow run.sh: participant:<BIC>:bench-secret-<BIC>. Every id and UETR is unique.
-- BATCH=n (environment) sends n payments per request to /v1/payments/batch instead.

local countries = {"AE","BY","BR","CN","EG","ID","IN","KZ","PK","RU","SA","ZA"}
local prefixes = {"BKAA","BKAB","BKAC"}
local banks = {}
for _, c in ipairs(countries) do for _, p in ipairs(prefixes) do banks[#banks + 1] = p .. c .. "22" end end

local batch = tonumber(os.getenv("BATCH") or "0")
local threadCounter = 0
local runNonce = os.time() % 65536

function setup(thread)
  threadCounter = threadCounter + 1
  thread:set("tid", threadCounter)
end

local n = 0
local function uuid(kind)
  n = n + 1
  -- version 4, variant 8; kind keeps ids and UETRs apart; tid and n make it unique.
  return string.format("%04x%04x-%04x-4%03x-8%03x-%012x", runNonce, tid, kind, 0, 0, n)
end

local function payment(payer)
  local payee
  repeat payee = banks[math.random(#banks)] until payee ~= payer
  return string.format(
    '{"id":"%s","payer":"%s","payee":"%s","amount":"%d.00","endToEndId":"E%d","uetr":"%s","invoiceNumber":"INV-%d","purposeCode":"GDDS"}',
    uuid(1), payer, payee, math.random(1, 500), n, uuid(2), n)
end

function request()
  local payer = banks[math.random(#banks)]
  local headers = {["Authorization"] = "Bearer bench-secret-" .. payer, ["Content-Type"] = "application/json"}
  if batch > 0 then
    local items = {}
    for i = 1, batch do items[i] = payment(payer) end
    return wrk.format("POST", "/v1/payments/batch", headers, "[" .. table.concat(items, ",") .. "]")
  end
  return wrk.format("POST", "/v1/payments", headers, payment(payer))
end

local errors = 0
function response(status, headers, body)
  if status >= 300 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("requests/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.2f ms  non-2xx+errors %d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  -- Only answered batches count: a refused one (429, 503) committed nothing.
  local answered = summary.requests - summary.errors.status
  if batch > 0 then io.write(string.format("payments/s %.0f (batches of %d, answered 2xx only)\n", answered * batch / seconds, batch)) end
end
