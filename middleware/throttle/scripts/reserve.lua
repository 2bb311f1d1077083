-- Tollgate: check and reserve every limit of one request, all or nothing.
-- Mirrors middleware/throttle/_gcra.py and MemoryBackend.reserve.
-- All KEYS share the hash tag {tg:<key_id>} (one Redis Cluster slot).
-- KEYS[1] risk hash (score, t)   KEYS[2] suspension hash (until, reason)
-- KEYS[2+i] limit i: GCRA tat string, or lease ZSET (member lease_id, score expiry)
-- ARGV: lease_id, lease_ttl_s, half_life_s, slow_at (<0: none), slow_factor, n,
--       then per limit: kind ('g' | 'l'), limit, period_s, burst, cost
-- Returns {status, risk, factor, refused, retry_or_until, reason,
--          remaining_1, reset_1, cost_1, ..., remaining_n, reset_n, cost_n}
-- status: 1 admitted, 0 limited, 2 suspended. Numbers as strings (Lua->Redis
-- would truncate floats). Time is the server's: replicas' clocks may differ.
local EPS = 1e-6
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease_id = ARGV[1]
local lease_ttl = tonumber(ARGV[2])
local half_life = tonumber(ARGV[3])
local slow_at = tonumber(ARGV[4])
local slow_factor = tonumber(ARGV[5])
local n = tonumber(ARGV[6])

local risk = 0
local r = redis.call('HMGET', KEYS[1], 'score', 't')
if r[1] then
  risk = tonumber(r[1]) * math.pow(0.5, math.max(0, now - tonumber(r[2])) / half_life)
end

local s = redis.call('HMGET', KEYS[2], 'until', 'reason')
if s[1] and tonumber(s[1]) > now then
  return {'2', tostring(risk), '1', '0', s[1], s[2] or ''}
end

local factor = 1
if slow_at >= 0 and risk >= slow_at then factor = slow_factor end

local out = {}
local writes = {}
local refused = 0
local retry = 0
for i = 1, n do
  local b = 6 + (i - 1) * 5
  local kind = ARGV[b + 1]
  local limit = math.max(1, math.floor(tonumber(ARGV[b + 2]) * factor))
  local period = tonumber(ARGV[b + 3])
  local burst = math.max(1, math.floor(tonumber(ARGV[b + 4]) * factor))
  local cost = tonumber(ARGV[b + 5])
  local key = KEYS[2 + i]
  if kind == 'l' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    local count = redis.call('ZCARD', key)
    local ok = count + 1 <= limit
    local left = limit - count
    if ok then left = left - 1 end
    out[#out + 1] = tostring(math.max(0, left))
    out[#out + 1] = '0'
    out[#out + 1] = '1'
    if not ok and 1 > retry then refused = i; retry = 1 end
    writes[i] = false
  else
    local e = period / limit
    local tol = burst * e
    if cost > burst then cost = burst end
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat < now then tat = now end
    local new_tat = tat + cost * e
    local allow_at = new_tat - tol
    if cost > 0 and allow_at - now > EPS then
      out[#out + 1] = tostring(math.max(0, math.floor((tol - (tat - now)) / e + EPS)))
      out[#out + 1] = tostring(tat - now)
      out[#out + 1] = tostring(cost)
      if allow_at - now > retry then refused = i; retry = allow_at - now end
      writes[i] = false
    else
      out[#out + 1] = tostring(math.max(0, math.floor((tol - (new_tat - now)) / e + EPS)))
      out[#out + 1] = tostring(new_tat - now)
      out[#out + 1] = tostring(cost)
      writes[i] = new_tat
    end
  end
end

if refused > 0 then
  local res = {'0', tostring(risk), tostring(factor), tostring(refused), tostring(retry), ''}
  for _, v in ipairs(out) do res[#res + 1] = v end
  return res
end

for i = 1, n do
  local b = 6 + (i - 1) * 5
  local key = KEYS[2 + i]
  if ARGV[b + 1] == 'l' then
    redis.call('ZADD', key, now + lease_ttl, lease_id)
    redis.call('PEXPIRE', key, math.ceil(lease_ttl * 1000) + 1000)
  else
    local new_tat = writes[i]
    redis.call('SET', key, string.format('%.6f', new_tat),
      'PX', math.ceil((new_tat - now) * 1000) + 1000)
  end
end
local res = {'1', tostring(risk), tostring(factor), '0', '0', ''}
for _, v in ipairs(out) do res[#res + 1] = v end
return res
