-- Tollgate: settle one request -- correct charges, release leases, add risk.
-- Mirrors MemoryBackend.settle. KEYS as in reserve.lua (same hash tag).
-- KEYS[1] risk hash   KEYS[2] suspension hash   KEYS[2+i] limit i
-- ARGV: lease_id, half_life_s, points, suspend_at (<0: none), suspend_for_s, n,
--       then per limit: kind ('g' adjust | 'l' release), limit, period_s, delta
-- Returns {risk, suspended_until or ''} as strings.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease_id = ARGV[1]
local half_life = tonumber(ARGV[2])
local points = tonumber(ARGV[3])
local suspend_at = tonumber(ARGV[4])
local suspend_for = tonumber(ARGV[5])
local n = tonumber(ARGV[6])

for i = 1, n do
  local b = 6 + (i - 1) * 4
  local key = KEYS[2 + i]
  if ARGV[b + 1] == 'l' then
    redis.call('ZREM', key, lease_id)
  else
    local delta = tonumber(ARGV[b + 4])
    if delta ~= 0 then
      local e = tonumber(ARGV[b + 3]) / tonumber(ARGV[b + 2])
      local tat = tonumber(redis.call('GET', key) or '0')
      if tat < now then tat = now end
      local new_tat = math.max(tat + delta * e, now)
      if new_tat > now then
        redis.call('SET', key, string.format('%.6f', new_tat),
          'PX', math.ceil((new_tat - now) * 1000) + 1000)
      else
        redis.call('DEL', key)
      end
    end
  end
end

local risk = 0
local r = redis.call('HMGET', KEYS[1], 'score', 't')
if r[1] then
  risk = tonumber(r[1]) * math.pow(0.5, math.max(0, now - tonumber(r[2])) / half_life)
end
local started = ''
if points > 0 then
  risk = risk + points
  redis.call('HSET', KEYS[1], 'score', string.format('%.6f', risk), 't', string.format('%.6f', now))
  -- After 30 half-lives the score is below a billionth of itself: drop it.
  redis.call('EXPIRE', KEYS[1], math.ceil(half_life * 30))
  if suspend_at >= 0 and risk >= suspend_at then
    local until_s = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
    if until_s <= now then
      local u = now + suspend_for
      local reason = string.format(
        'actor risk score %.1f reached the suspension threshold %g', risk, suspend_at)
      redis.call('HSET', KEYS[2], 'until', string.format('%.6f', u), 'reason', reason)
      redis.call('PEXPIREAT', KEYS[2], math.ceil(u * 1000) + 1000)
      started = string.format('%.6f', u)
    end
  end
end
return {tostring(risk), started}
