-- wrk script of the many-Workers phase: every request goes to one of N
-- Workers, at wK.localhost, drawn per request from Zipf(s) or uniformly.
--
--   wrk ... -s many.lua URL -- N zipf 1.1 SEED
--   wrk ... -s many.lua URL -- N uniform 0 SEED
--
-- Under Zipf the k-th most popular Worker is drawn with a probability in
-- proportion to k^-s. Which Worker has which rank is a fixed shuffle (from
-- SEED), so that popularity has nothing to do with the order the Workers
-- were declared in. Requests are formatted once, in init; a draw is one
-- random number and a binary search of the cumulative distribution.
local requests = {}
local cdf = {}
local n = 1000
local zipf = true

function init(args)
  n = tonumber(args[1]) or 1000
  zipf = (args[2] or "zipf") == "zipf"
  local s = tonumber(args[3]) or 1.1
  math.randomseed(tonumber(args[4]) or 1)
  local order = {}
  for i = 1, n do
    order[i] = i - 1
  end
  for i = n, 2, -1 do
    local j = math.random(i)
    order[i], order[j] = order[j], order[i]
  end
  for rank = 1, n do
    local host = string.format("w%d.localhost", order[rank])
    requests[rank] = wrk.format("GET", "/", { Host = host })
  end
  if zipf then
    local total = 0
    for k = 1, n do
      total = total + k ^ -s
      cdf[k] = total
    end
    for k = 1, n do
      cdf[k] = cdf[k] / total
    end
  end
end

local function draw()
  if not zipf then
    return math.random(n)
  end
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then
      lo = mid + 1
    else
      hi = mid
    end
  end
  return lo
end

function request()
  return requests[draw()]
end
