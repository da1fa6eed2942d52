-- GET /api/v1/products/autocomplete: 42 rotating prefixes (3+ characters, some with typos) on
-- every tenant.
dofile((os.getenv("BENCH_DIR") or ".") .. "/common.lua")
local hosts = load_tsv("hosts.tsv")
local prefixes = load_tsv("prefixes.tsv")

function request()
  local k = next_index(#hosts * #prefixes) - 1
  local h, q = hosts[k % #hosts + 1], prefixes[math.floor(k / #hosts) + 1]
  return wrk.format("GET", "/api/v1/products/autocomplete?q=" .. urlencode(q[1]),
    { Host = h[1], ["Accept-Language"] = q[2] })
end
