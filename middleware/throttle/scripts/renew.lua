-- Tollgate: extend the leases one in-flight request holds (long streams).
-- KEYS[i]: lease ZSETs of one key id (same hash tag). ARGV: lease_id, ttl_s.
-- Only existing members are extended (XX): a lease already released or
-- expired is not resurrected. Returns how many were extended.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
local n = 0
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('ZADD', KEYS[i], 'XX', now + ttl, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], math.ceil(ttl * 1000) + 1000)
    n = n + 1
  end
end
return n
