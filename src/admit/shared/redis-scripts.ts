/**
 * The shared budget's Lua scripts: each runs atomically in Redis, so a lease is checked against the
 * whole budget and recorded in one step, whatever the other replicas do meanwhile.
 *
 * Keys (P = the key prefix; everything of a replica under P o:<replica>:):
 *   P replicas                 sorted set: replica → time of its last call (its heartbeat)
 *   P o:<r>:leases             hash: lease id → "level|bytes"
 *   P o:<r>:expiry             sorted set: lease id → when it expires unless renewed
 *   P o:<r>:use                hash: b:<level> → bytes leased, c:<level> → leases
 *   P o:<r>:residue            sorted set: "id|level|bytes" → when the lease ended (its hold-over)
 *   P o:<r>:res                hash: n:<level>, s:<level> = Σ bytes, w:<level> = Σ bytes × ended-at
 *   channel P changed          "replica|level|bytes|heldOver" on a release; "expired" / "sync" otherwise
 * An ended lease's bytes stay counted, decaying linearly to nothing over the hold-over (hold-over.ts):
 * Σ bytes·(1 − (now − ended)/hold) = s − (now·s − w)/hold over the residues not yet past it, so the
 * sum is read in constant time; residues past it are dropped as they age out.
 *
 * Every script first purges: leases past their expiry (a replica that died) become residue, residue past
 * the hold-over goes, and a replica silent for a lease TTL with nothing left is forgotten. Times are
 * the Redis server's clock (one clock for every replica), unless a caller passes its own (tests).
 * The per-replica keys are named inside the scripts: a standalone Redis (or a primary), not a Cluster.
 */

const PRELUDE = `
local P = ARGV[1]
local REPLICAS = P .. 'replicas'
local CHANNEL = P .. 'changed'
local function key(owner, what) return P .. 'o:' .. owner .. ':' .. what end
local function num(x) return string.format('%.17g', x) end
local function split(v)
  local out = {}
  for part in string.gmatch(v, '[^|]+') do out[#out + 1] = part end
  return out
end
local function clock(given)
  if given ~= '' then return tonumber(given) end
  if redis.replicate_commands then pcall(redis.replicate_commands) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function addResidue(owner, id, level, bytes, at, hold)
  if hold <= 0 then return end
  redis.call('ZADD', key(owner, 'residue'), num(at), id .. '|' .. level .. '|' .. num(bytes))
  local res = key(owner, 'res')
  redis.call('HINCRBY', res, 'n:' .. level, 1)
  redis.call('HINCRBYFLOAT', res, 's:' .. level, num(bytes))
  redis.call('HINCRBYFLOAT', res, 'w:' .. level, num(bytes * at))
end

local function dropResidue(owner, member, at)
  local f = split(member)
  local level, bytes = f[2], tonumber(f[3])
  local res = key(owner, 'res')
  if redis.call('HINCRBY', res, 'n:' .. level, -1) <= 0 then
    redis.call('HDEL', res, 'n:' .. level, 's:' .. level, 'w:' .. level)
  else
    redis.call('HINCRBYFLOAT', res, 's:' .. level, num(-bytes))
    redis.call('HINCRBYFLOAT', res, 'w:' .. level, num(-bytes * at))
  end
  redis.call('ZREM', key(owner, 'residue'), member)
end

local function addLease(owner, id, level, bytes, expires)
  redis.call('ZADD', key(owner, 'expiry'), num(expires), id)
  if redis.call('HSETNX', key(owner, 'leases'), id, level .. '|' .. num(bytes)) == 0 then return 0 end
  redis.call('HINCRBY', key(owner, 'use'), 'b:' .. level, bytes)
  redis.call('HINCRBY', key(owner, 'use'), 'c:' .. level, 1)
  return 1
end

local function dropLease(owner, id, at, hold, heldOver)
  redis.call('ZREM', key(owner, 'expiry'), id)
  local v = redis.call('HGET', key(owner, 'leases'), id)
  if not v then return nil end
  local f = split(v)
  local level, bytes = f[1], tonumber(f[2])
  redis.call('HDEL', key(owner, 'leases'), id)
  local use = key(owner, 'use')
  if redis.call('HINCRBY', use, 'c:' .. level, -1) <= 0 then
    redis.call('HDEL', use, 'c:' .. level, 'b:' .. level)
  else
    redis.call('HINCRBY', use, 'b:' .. level, -bytes)
  end
  if heldOver then addResidue(owner, id, level, bytes, at, hold) end
  return level, bytes
end

-- Purges what has aged out and sums every replica's usage per level: {bytes, leases, held over}.
local function refresh(caller, now, ttl, hold)
  local owners = redis.call('ZRANGE', REPLICAS, 0, -1, 'WITHSCORES')
  local alive, expired, newest = 0, false, nil
  local all, mine = {}, {}
  for i = 1, #owners, 2 do
    local o, beat = owners[i], tonumber(owners[i + 1])
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', key(o, 'expiry'), '-inf', num(now), 'LIMIT', 0, 256)) do
      if dropLease(o, id, now, hold, true) then expired = true end
    end
    local old = redis.call('ZRANGEBYSCORE', key(o, 'residue'), '-inf', num(now - hold), 'WITHSCORES', 'LIMIT', 0, 512)
    for j = 1, #old, 2 do dropResidue(o, old[j], tonumber(old[j + 1])) end
    if o ~= caller then
      local last = redis.call('ZREVRANGE', key(o, 'residue'), 0, 0, 'WITHSCORES')
      if #last == 2 and (newest == nil or tonumber(last[2]) > newest) then newest = tonumber(last[2]) end
    end
    local u = {}
    local use = redis.call('HGETALL', key(o, 'use'))
    for j = 1, #use, 2 do
      local level = string.sub(use[j], 3)
      u[level] = u[level] or {0, 0, 0}
      if string.sub(use[j], 1, 1) == 'b' then u[level][1] = tonumber(use[j + 1]) else u[level][2] = tonumber(use[j + 1]) end
    end
    local sums = {}
    local res = redis.call('HGETALL', key(o, 'res'))
    for j = 1, #res, 2 do
      local kind, level = string.sub(res[j], 1, 1), string.sub(res[j], 3)
      sums[level] = sums[level] or {0, 0}
      if kind == 's' then sums[level][1] = tonumber(res[j + 1]) elseif kind == 'w' then sums[level][2] = tonumber(res[j + 1]) end
    end
    for level, x in pairs(sums) do
      local r = 0
      if hold > 0 then r = x[1] - (now * x[1] - x[2]) / hold end
      if r < 0 then r = 0 elseif r > x[1] then r = x[1] end
      u[level] = u[level] or {0, 0, 0}
      u[level][3] = r
    end
    local empty = next(u) == nil
    for level, x in pairs(u) do
      local g = all[level] or {0, 0, 0}
      all[level] = g
      g[1], g[2], g[3] = g[1] + x[1], g[2] + x[2], g[3] + x[3]
      if o == caller then mine[level] = x end
    end
    if beat >= now - ttl then
      alive = alive + 1
    elseif empty and redis.call('ZCARD', key(o, 'expiry')) == 0 then
      redis.call('ZREM', REPLICAS, o)
      redis.call('DEL', key(o, 'leases'), key(o, 'expiry'), key(o, 'use'), key(o, 'residue'), key(o, 'res'))
    end
  end
  if expired then redis.call('PUBLISH', CHANNEL, 'expired') end
  local age = -1
  if newest ~= nil then age = math.max(0, now - newest) end
  return alive, all, mine, age
end

-- {head, alive replicas, age of the others' newest residue (ms, -1: none), then per level: name, bytes,
-- leases, held over (all replicas), the same of the others}
local function snapshot(head, alive, all, mine, age)
  local out = {head, alive, math.floor(age)}
  for level, g in pairs(all) do
    local m = mine[level] or {0, 0, 0}
    out[#out + 1] = level
    out[#out + 1] = g[1]
    out[#out + 1] = g[2]
    out[#out + 1] = math.floor(g[3])
    out[#out + 1] = g[1] - m[1]
    out[#out + 1] = g[2] - m[2]
    out[#out + 1] = math.floor(g[3] - m[3])
  end
  return out
end
`;

/**
 * take: ARGV P, replica, now ('' = the server's), ttl, hold, id, level, bytes, force (1/0), effective
 * budget, level count, then per level: name, exempt, retired, share, ceiling fraction, bytes held back
 * by the caller. The capacity rules are level-capacity.ts's, over every replica's usage.
 */
const TAKE = `${PRELUDE}
local owner, now, ttl, hold = ARGV[2], clock(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local id, target, bytes, force, E = ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9] == '1', tonumber(ARGV[10])
local levels = {}
for i = 0, tonumber(ARGV[11]) - 1 do
  local b = 12 + i * 6
  levels[#levels + 1] = { name = ARGV[b], exempt = ARGV[b + 1] == '1', retired = ARGV[b + 2] == '1', share = tonumber(ARGV[b + 3]), ceiling = tonumber(ARGV[b + 4]), heldBack = tonumber(ARGV[b + 5]) }
end
redis.call('ZADD', REPLICAS, num(now), owner)
local alive, all, mine, age = refresh(owner, now, ttl, hold)

local function free(t)
  local used, reserved, listed = 0, 0, {}
  for _, l in ipairs(levels) do
    listed[l.name] = true
    local g = all[l.name] or {0, 0, 0}
    local u = g[1] + g[3] + l.heldBack
    used = used + u
    if l.name ~= t.name and not l.exempt and not l.retired then reserved = reserved + math.max(0, l.share * E - u) end
  end
  for level, g in pairs(all) do
    if not listed[level] then used = used + g[1] + g[3] end
  end
  local g = all[t.name] or {0, 0, 0}
  return math.min(E - used - reserved, t.ceiling * E - g[1] - g[3] - t.heldBack)
end

local ok = 0
if force then
  ok = 1
else
  for _, l in ipairs(levels) do
    if l.name == target and bytes <= free(l) then ok = 1 end
  end
end
if ok == 1 and addLease(owner, id, target, bytes, now + ttl) == 1 then
  for _, t in ipairs({all, mine}) do
    local g = t[target] or {0, 0, 0}
    t[target] = g
    g[1], g[2] = g[1] + bytes, g[2] + 1
  end
end
return snapshot(ok, alive, all, mine, age)
`;

/** release: ARGV P, replica, now, hold, id, heldOver (1/0). 1 when the lease was there. */
const RELEASE = `${PRELUDE}
local owner, now, hold, id, heldOver = ARGV[2], clock(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6] == '1'
local level, bytes = dropLease(owner, id, now, hold, heldOver)
if not level then return 0 end
redis.call('PUBLISH', CHANNEL, owner .. '|' .. level .. '|' .. num(bytes) .. '|' .. ARGV[6])
return 1
`;

/**
 * renew: ARGV P, replica, now, ttl, hold, lease count, then per lease: id, level, bytes. The heartbeat:
 * every lease listed gets a new expiry, and one that is gone (it expired while this replica could not
 * renew it) is put back. Returns a snapshot whose head is how many were put back.
 */
const RENEW = `${PRELUDE}
local owner, now, ttl, hold = ARGV[2], clock(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZADD', REPLICAS, num(now), owner)
local restored = 0
for i = 0, tonumber(ARGV[6]) - 1 do
  local b = 7 + i * 3
  restored = restored + addLease(owner, ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), now + ttl)
end
local alive, all, mine, age = refresh(owner, now, ttl, hold)
return snapshot(restored, alive, all, mine, age)
`;

/**
 * sync: ARGV P, replica, now, ttl, hold, lease count, (id, level, bytes)…, residue count, (level, bytes,
 * age in ms)…. Replaces everything Redis holds of the replica with what it holds itself: after an
 * outage, its leases are counted once, those it released meanwhile not at all.
 */
const SYNC = `${PRELUDE}
local owner, now, ttl, hold = ARGV[2], clock(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('DEL', key(owner, 'leases'), key(owner, 'expiry'), key(owner, 'use'), key(owner, 'residue'), key(owner, 'res'))
redis.call('ZADD', REPLICAS, num(now), owner)
local n = tonumber(ARGV[6])
for i = 0, n - 1 do
  local b = 7 + i * 3
  addLease(owner, ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), now + ttl)
end
local r = 7 + n * 3
for i = 0, tonumber(ARGV[r]) - 1 do
  local b = r + 1 + i * 3
  local age = tonumber(ARGV[b + 2])
  if age < hold then addResidue(owner, 's' .. i, ARGV[b], tonumber(ARGV[b + 1]), now - age, hold) end
end
local alive, all, mine, age = refresh(owner, now, ttl, hold)
redis.call('PUBLISH', CHANNEL, 'sync')
return snapshot(n, alive, all, mine, age)
`;

/** leave: ARGV P, replica. A replica shutting down stops counting as one at once; its residue decays as usual. */
const LEAVE = `${PRELUDE}
redis.call('ZADD', REPLICAS, 'XX', 0, ARGV[2])
return 1
`;

export const SHARED_BUDGET_SCRIPTS = {
  listgateTake: TAKE,
  listgateRelease: RELEASE,
  listgateRenew: RENEW,
  listgateSync: SYNC,
  listgateLeave: LEAVE,
} as const;

export type SharedBudgetScript = keyof typeof SHARED_BUDGET_SCRIPTS;
