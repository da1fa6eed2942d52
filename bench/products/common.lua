-- Shared by the wrk scripts: rotation data exported by run.sh (tab-separated files in $BENCH_DATA),
-- URL encoding, and a summary line with p50/p95/p99 that run.sh collects.
local data = os.getenv("BENCH_DATA") or "."

function load_tsv(name)
  local rows = {}
  for line in io.lines(data .. "/" .. name) do
    local row = {}
    for field in string.gmatch(line, "[^\t]+") do row[#row + 1] = field end
    rows[#rows + 1] = row
  end
  return rows
end

function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- MODE=prime walks every combination once, in order (threads interleaved), to fill the caches
-- before a warm run; otherwise picks are random.
local prime = os.getenv("MODE") == "prime"
local step = 0
function next_index(n)
  if prime then
    step = step + 1
    return ((step - 1) * 2 + (id or 1) - 1) % n + 1
  end
  return math.random(n)
end

function pick(rows) return rows[math.random(#rows)] end

-- MODE=uncached adds a price ceiling no product reaches, different on every request: the same
-- rows, but a cache key never seen before, so every request reaches PostgreSQL.
local uncached = os.getenv("MODE") == "uncached"
function cache_buster()
  if uncached then return "&price_max=" .. math.random(1000000000, 999999999999) end
  return ""
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

local statuses = {}
function response(status, headers, body)
  if status ~= 200 then statuses[status] = (statuses[status] or 0) + 1 end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms socket_errors=%d non2xx=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.status))
end
