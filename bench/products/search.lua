-- GET /api/v1/products/search: 48 rotating 1-3 word queries (Spanish and English, read in their
-- language) on every tenant, with facets, first page of 20 by relevance.
dofile((os.getenv("BENCH_DIR") or ".") .. "/common.lua")
local hosts = load_tsv("hosts.tsv")
local queries = load_tsv("queries.tsv")

function request()
  local k = next_index(#hosts * #queries) - 1
  local h, q = hosts[k % #hosts + 1], queries[math.floor(k / #hosts) + 1]
  return wrk.format("GET", "/api/v1/products/search?limit=20&q=" .. urlencode(q[1]) .. cache_buster(),
    { Host = h[1], ["Accept-Language"] = q[2] })
end
