-- wrk script: POST /api/v1/orders (checkout with explicit lines) on the benchmark marketplace.
-- Every request: a customer's access token picked at random (tokens.tsv), one line of a variant
-- picked at random from $VARIANTS (a file of variant ids: 10k for the distinct-products run, one
-- for the hot run), 1 to $QMAX units, and a fresh Idempotency-Key (thread, counter, time, random).
-- Counts the answers: 201, 409 `out_of_stock` (the only acceptable refusal) and anything else,
-- with up to 3 bodies of the latter per thread; run.sh collects the RESULT and STATUS lines.
local data = os.getenv("BENCH_DATA") or "."
local host = os.getenv("TENANT_HOST") or "checkout.localhost"
local qmax = tonumber(os.getenv("QMAX") or "1")

local function lines(name)
  local rows = {}
  for line in io.lines(data .. "/" .. name) do
    if line ~= "" then rows[#rows + 1] = line end
  end
  return rows
end

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  threads[#threads + 1] = thread
end

local tokens, variants
local sent = 0
local started = 0
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  tokens = lines("tokens.tsv")
  variants = lines(os.getenv("VARIANTS") or "variants.tsv")
  started = os.time()
  created, out_of_stock, other, samples = 0, 0, 0, {}
end

local address = '"shipping_address":{"recipient":"Ana Quispe","line1":"Jr. Gamarra 1","city":"Lima","country":"PE"}'

function request()
  sent = sent + 1
  local variant = variants[math.random(#variants)]
  local body = string.format('{"lines":[{"variant_id":"%s","quantity":%d}],%s}',
    variant, math.random(qmax), address)
  return wrk.format("POST", "/api/v1/orders", {
    Host = host,
    Authorization = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d-%d", started, id or 0, sent, math.random(1000000000)),
  }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 409 and body and string.find(body, '"code":"out_of_stock"', 1, true) then
    out_of_stock = out_of_stock + 1
  else
    other = other + 1
    if #samples < 3 then samples[#samples + 1] = status .. " " .. string.sub(body or "", 1, 400) end
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local c201, c409, cother = 0, 0, 0
  local bodies = {}
  for _, t in ipairs(threads) do
    c201 = c201 + (t:get("created") or 0)
    c409 = c409 + (t:get("out_of_stock") or 0)
    cother = cother + (t:get("other") or 0)
    for _, s in ipairs(t:get("samples") or {}) do bodies[#bodies + 1] = s end
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.0f created_per_s=%.0f p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms socket_errors=%d\n",
    summary.requests, summary.requests / secs, c201 / secs, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
  io.write(string.format("STATUS 201=%d 409_out_of_stock=%d other=%d\n", c201, c409, cother))
  for _, b in ipairs(bodies) do io.write("OTHER " .. b .. "\n") end
end
