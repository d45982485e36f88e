"""The Lua scripts of `RedisStore`: each transition of a shared breaker, budget or gate is one script, run in
one round trip, atomic on the server, reading the server's clock (``TIME``), never a client's (but for a
store on a custom clock, a simulation's: its reading goes as the last argument).

Every script treats what it did not write as absent: a key of the wrong type is deleted, a field that is not
a number reads as its default, a gate value without the store's marker is no hold. Every key written gets a
TTL, so that the state of a breaker, budget or gate nobody uses any more is gone by itself. Replies are lists
of integers (milliseconds and counts), whatever the client's ``decode_responses``.
"""

from __future__ import annotations

_COMMON = """
-- The last argument is empty (the server's clock) or, for a store on a custom clock (a simulation's), that
-- clock's reading in ms.
local function now_ms()
  local given = tonumber(ARGV[#ARGV])
  if given then return given end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function claim(key, kind)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= kind then redis.call('DEL', key) end
end
local function num(v, default)
  local n = tonumber(v)
  if n == nil or n ~= n or n == math.huge or n == -math.huge then return default end
  return n
end
local function int(n) return string.format('%d', math.floor(n)) end
-- A window hash counts per second under fields '<a>:<sec>' and '<b>:<sec>' (two-letter prefixes): the sums
-- of each over the last `window` seconds; fields older than that, or not the store's, are deleted.
local function window_sums(key, sec, window, a, b)
  local all = redis.call('HGETALL', key)
  local sum_a, sum_b = 0, 0
  for i = 1, #all, 2 do
    local field, n = all[i], tonumber(all[i + 1])
    local at, what = tonumber(string.sub(field, 3)), string.sub(field, 1, 2)
    if at == nil or n == nil or at <= sec - window or (what ~= a and what ~= b) then
      redis.call('HDEL', key, field)
    elseif what == a then
      sum_a = sum_a + n
    else
      sum_b = sum_b + n
    end
  end
  return sum_a, sum_b
end
-- A breaker's state hash carries this mark; one without it was not written by the store.
local function claim_state(key)
  claim(key, 'hash')
  if redis.call('HGET', key, 'v') ~= 'llm-retry/1' then redis.call('DEL', key) end
end
"""

BREAKER_SYNC = (
    _COMMON
    + """
-- KEYS: state hash, window hash, probe leases (zset)
-- ARGV: successes, failures, trailing consecutive failures, force (0, 1 open, 2 close), failure_threshold,
--       failure_rate_threshold (-1: none), minimum_calls, window_s, cooldown_ms (jittered), ttl_ms,
--       rate limits met while pacing (a slow start's 429s: the fleet's latest is the 'lim' field)
local now = now_ms()
claim_state(KEYS[1]); claim(KEYS[2], 'hash'); claim(KEYS[3], 'zset')
local s = redis.call('HMGET', KEYS[1], 'st', 'until', 'consec', 'gen', 'opens', 'lim', 'rate')
local st = s[1]
if st ~= 'o' then st = 'c' end
local untl, consec = num(s[2], 0), num(s[3], 0)
-- A fresh state (first use, a flush, an expiry) starts its generations at the server's time, never where an
-- earlier one left off, so that no process mistakes a new transition for one it has seen.
local gen, opens = num(s[4], now), num(s[5], 0)
local ok, failed, trailing = num(ARGV[1], 0), num(ARGV[2], 0), num(ARGV[3], 0)
local force, threshold, rate = ARGV[4], num(ARGV[5], 1), num(ARGV[6], -1)
local min_calls, window = num(ARGV[7], 1), num(ARGV[8], 60)
local cooldown, ttl = num(ARGV[9], 2000), num(ARGV[10], 60000)
local lim, traffic = num(s[6], 0), math.max(num(s[7], 0), 0)
if num(ARGV[11], 0) > 0 then lim = now end
local function open(period)
  st, untl, gen, consec = 'o', now + period, gen + 1, 0
  redis.call('DEL', KEYS[2], KEYS[3])
end
if force == '1' then
  opens = 1
  open(cooldown)
elseif force == '2' then
  st, consec, opens, gen = 'c', 0, 0, gen + 1
  redis.call('DEL', KEYS[2], KEYS[3])
elseif st == 'c' and ok + failed > 0 then
  -- A batch with a success ends the fleet's run of failures at this process's trailing ones.
  if ok > 0 then consec = trailing else consec = consec + failed end
  local tripped = consec >= threshold
  -- The window counts the fleet's calls whatever the thresholds: its rate before a trip is what caps how
  -- long the open periods grow (BREAKER_PROBE_DONE).
  local sec = math.floor(now / 1000)
  if ok > 0 then redis.call('HINCRBY', KEYS[2], 'o:' .. sec, ok) end
  if failed > 0 then redis.call('HINCRBY', KEYS[2], 'f:' .. sec, failed) end
  local answers, failures = window_sums(KEYS[2], sec, window, 'o:', 'f:')
  local calls = answers + failures
  redis.call('PEXPIRE', KEYS[2], ttl)
  if rate >= 0 and calls >= min_calls and failures / calls >= rate then tripped = true end
  if tripped then
    opens, traffic = 1, calls / window
    open(cooldown)
  end
end
redis.call('HSET', KEYS[1], 'v', 'llm-retry/1', 'st', st, 'until', int(untl), 'consec', int(consec),
  'gen', int(gen), 'opens', int(opens), 'lim', int(lim), 'rate', tostring(traffic))
redis.call('PEXPIRE', KEYS[1], ttl)
if st == 'o' then
  if now < untl then return {1, untl - now, gen, lim} end
  return {2, 0, gen, lim}
end
return {0, 0, gen, lim}
"""
)
"""One batch of a process's outcomes; the reply is the fleet's breaker: ``{state, open_left_ms, generation,
last_rate_limit_ms}``, state 0 closed, 1 open, 2 half-open (open and its period over); the last is when a
process last reported a slow start's 429 (server ms, 0 for never)."""

BREAKER_LEASE = (
    _COMMON
    + """
-- KEYS: state hash, probe leases (zset).  ARGV: half_open_max_calls, probe_lease_ms, lease id, ttl_ms
local now = now_ms()
claim_state(KEYS[1]); claim(KEYS[2], 'zset')
local s = redis.call('HMGET', KEYS[1], 'st', 'until', 'gen')
local untl, gen = num(s[2], 0), num(s[3], 0)
if s[1] ~= 'o' then return {0, 0, gen} end
if now < untl then return {1, untl - now, gen} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now))
if redis.call('ZCARD', KEYS[2]) < num(ARGV[1], 1) then
  redis.call('ZADD', KEYS[2], int(now + num(ARGV[2], 30000)), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], num(ARGV[4], 60000))
  return {2, 0, gen}
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {3, math.max(num(oldest[2], now) - now, 1), gen}
"""
)
"""A probe lease: ``{verdict, wait_ms, generation}``, verdict 0 the fleet is closed (go, no lease), 1 open
(``wait_ms`` left), 2 leased, 3 every lease taken (the oldest ends in ``wait_ms``)."""

BREAKER_PROBE_DONE = (
    _COMMON
    + """
-- KEYS: state hash, window hash, probe leases (zset)
-- ARGV: lease id, outcome (1 answered, 0 failed, -1 neither), generation of the lease, cooldown_ms,
--       max_cooldown_ms, jitter factor, ttl_ms, probe share
local now = now_ms()
claim_state(KEYS[1]); claim(KEYS[3], 'zset')
redis.call('ZREM', KEYS[3], ARGV[1])
local outcome = ARGV[2]
if outcome ~= '1' and outcome ~= '0' then return {0} end
local s = redis.call('HMGET', KEYS[1], 'st', 'gen', 'opens', 'rate')
local gen, opens = num(s[2], 0), num(s[3], 1)
local cooldown, cap = num(ARGV[4], 2000), num(ARGV[5], 10000)
-- As a local breaker: the period grows no longer than keeps probes at the probe share of the fleet's
-- traffic before the trip, so a busy fleet probes every cooldown and finds the provider back within one.
local traffic, share = num(s[4], 0), num(ARGV[8], 0)
if traffic > 0 and share > 0 then cap = math.max(cooldown, math.min(cap, 1000 / (share * traffic))) end
-- A probe of another generation (the fleet reopened or closed since) decides nothing.
if s[1] ~= 'o' or gen ~= num(ARGV[3], -1) then return {0} end
if outcome == '1' then
  redis.call('HSET', KEYS[1], 'st', 'c', 'consec', '0', 'opens', '0', 'gen', int(gen + 1))
  redis.call('DEL', KEYS[2], KEYS[3])
else
  opens = math.max(opens, 1) + 1
  local period = math.min(cap, cooldown * 2 ^ (opens - 1)) * num(ARGV[6], 1)
  redis.call('HSET', KEYS[1], 'st', 'o', 'until', int(now + period), 'opens', int(opens), 'gen', int(gen + 1))
  redis.call('DEL', KEYS[3])
end
redis.call('PEXPIRE', KEYS[1], num(ARGV[7], 60000))
return {1}
"""
)
"""A probe's outcome: an answer closes the fleet's breaker, a failure reopens it for twice as long (up to the
cap: ``max_cooldown_ms``, shorter for a fleet that was busy before it tripped); either frees the lease.
``{1}`` when it changed the state, ``{0}`` when it came too late."""

BUDGET = (
    _COMMON
    + """
-- KEYS: window hash.  ARGV: first attempts, withdraw (0 or 1), min_retries, retry_ratio, window_s, ttl_ms
local sec = math.floor(now_ms() / 1000)
claim(KEYS[1], 'hash')
local firsts_in, window = num(ARGV[1], 0), num(ARGV[5], 60)
if firsts_in > 0 then redis.call('HINCRBY', KEYS[1], 'f:' .. sec, firsts_in) end
local firsts, retries = window_sums(KEYS[1], sec, window, 'f:', 'r:')
local allowed = 0
if ARGV[2] == '1' and retries + 1 <= num(ARGV[3], 0) + num(ARGV[4], 0) * firsts then
  redis.call('HINCRBY', KEYS[1], 'r:' .. sec, 1)
  retries, allowed = retries + 1, 1
end
if firsts_in > 0 or allowed == 1 then redis.call('PEXPIRE', KEYS[1], num(ARGV[6], 120000)) end
return {allowed, firsts, retries}
"""
)
"""First attempts in, and a retry out when asked: ``{allowed, first_attempts, retries}`` over the window."""

GATE = (
    _COMMON
    + """
-- KEYS: the hold (a string).  ARGV: hold_ms (0: only read it)
local now = now_ms()
local untl = 0
if redis.call('TYPE', KEYS[1])['ok'] == 'string' then
  local m = string.match(redis.call('GET', KEYS[1]), '^llm%-retry%-hold:(%d+)$')
  if m then untl = tonumber(m) end
end
local hold = num(ARGV[1], 0)
if hold > 0 and now + hold > untl then
  untl = now + hold
  redis.call('SET', KEYS[1], 'llm-retry-hold:' .. int(untl), 'PX', int(hold))
end
if untl > now then return {untl - now} end
return {0}
"""
)
"""Extends the hold to ``hold_ms`` from now if that is later (SET-if-greater, expiring when the hold ends);
``{hold_left_ms}``, 0 for none."""
