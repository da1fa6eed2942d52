-- GET /api/v1/products: 20 items of one category subtree, newest first; every category of every
-- tenant in rotation (Host header picks the tenant).
dofile((os.getenv("BENCH_DIR") or ".") .. "/common.lua")
local categories = load_tsv("categories.tsv")

function request()
  local c = categories[next_index(#categories)]
  return wrk.format("GET", "/api/v1/products?limit=20&category=" .. c[2] .. cache_buster(), { Host = c[1] })
end
