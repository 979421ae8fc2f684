/**
 * The Lua scripts behind the Redis cluster bus. Each change to the shared state and the event that
 * announces it happen in one script, so the log (a Redis stream) and the state share one total order.
 *
 * Keys, under the prefix p: `users` (hash id -> name: everyone available), `conn:<u>` (hash of the
 * nodes that have u), `node:<id>:users` (set) and `node:<id>:digest` (XOR of the hashes the node gave
 * for its users, so a node can check the record with one number), `alive:<id>` (heartbeat, with a TTL),
 * `nodes` (set), `dialogs` (hash id -> "a|b"), `pairs` (hash pair -> id), `ud:<u>` (set of u's dialog
 * ids), `epoch`, `epoch-at`, `seq` (the last event's number in this epoch) and `log` (the stream).
 *
 * The epoch is created by whichever script first finds it missing, i.e. first after Redis lost its
 * data; its id starts with Redis's clock so epochs order by age. Every script takes the prefix and a
 * random candidate epoch suffix as ARGV[1] and ARGV[2].
 */

/** Entries kept in the log: a node that falls further behind resyncs from a snapshot instead. */
export const LOG_MAX_LEN = 20_000;

const PRELUDE = `
local p, cand = ARGV[1], ARGV[2]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function epoch()
  local e = redis.call('GET', p..':epoch')
  if not e then
    local ms = now_ms()
    e = string.format('%015d', ms)..'-'..cand
    redis.call('SET', p..':epoch', e)
    redis.call('SET', p..':epoch-at', ms)
    redis.call('DEL', p..':seq')
  end
  return e
end
local function emit(ev)
  local e = epoch()
  local seq = redis.call('INCR', p..':seq')
  redis.call('XADD', p..':log', 'MAXLEN', '~', '${LOG_MAX_LEN}', '*', 'e', e, 's', seq, 'v', ev)
end
local function pair(a, b)
  if a < b then return a..'|'..b end
  return b..'|'..a
end
local function drop_dialogs(u)
  for _, id in ipairs(redis.call('SMEMBERS', p..':ud:'..u)) do
    local m = redis.call('HGET', p..':dialogs', id)
    if m then
      local a, b = string.match(m, '^(.-)|(.*)$')
      redis.call('SREM', p..':ud:'..((a == u) and b or a), id)
      redis.call('HDEL', p..':pairs', pair(a, b))
      redis.call('HDEL', p..':dialogs', id)
    end
  end
  redis.call('DEL', p..':ud:'..u)
end
local function xor_digest(node, h)
  local k = p..':node:'..node..':digest'
  redis.call('SET', k, bit.bxor(tonumber(redis.call('GET', k) or '0'), tonumber(h)))
end
local function add(node, u, name, h)
  redis.call('HSET', p..':conn:'..u, node, '1')
  if redis.call('SADD', p..':node:'..node..':users', u) == 1 then xor_digest(node, h) end
  if redis.call('HSETNX', p..':users', u, name) == 1 then
    emit(cjson.encode({t='online', user={id=u, name=name}}))
    return 1
  end
  return 0
end
local function remove(node, u, h)
  redis.call('HDEL', p..':conn:'..u, node)
  if redis.call('SREM', p..':node:'..node..':users', u) == 1 and h then xor_digest(node, h) end
  if redis.call('HLEN', p..':conn:'..u) == 0 and redis.call('HDEL', p..':users', u) == 1 then
    drop_dialogs(u)
    emit(cjson.encode({t='offline', userId=u}))
    return 1
  end
  return 0
end
local function open_dialog(id, a, b, max)
  if a == b or redis.call('HEXISTS', p..':users', a) == 0 or redis.call('HEXISTS', p..':users', b) == 0 then return 0 end
  if redis.call('HEXISTS', p..':pairs', pair(a, b)) == 1 then return 2 end
  if redis.call('SCARD', p..':ud:'..a) >= max or redis.call('SCARD', p..':ud:'..b) >= max then return 0 end
  redis.call('HSET', p..':dialogs', id, a..'|'..b)
  redis.call('HSET', p..':pairs', pair(a, b), id)
  redis.call('SADD', p..':ud:'..a, id)
  redis.call('SADD', p..':ud:'..b, id)
  return 1
end
`;

const script = (body: string) => PRELUDE + body;

/** ARGV: node, user, name, hash. This node has the user now. */
export const ONLINE = script(`return add(ARGV[3], ARGV[4], ARGV[5], ARGV[6])`);

/** ARGV: node, user, hash. This node no longer has the user. */
export const OFFLINE = script(`return remove(ARGV[3], ARGV[4], ARGV[5])`);

/**
 * ARGV: max dialogs per user, id, a, b, event. The rules of Messenger.applyDialog, in the same order:
 * refused (0, no event) unless both are available and under the cap; an existing pair is announced
 * again (the replica answers with the existing dialog), so the proposer learns the outcome in order.
 */
export const DIALOG = script(`
local r = open_dialog(ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[3]))
if r == 0 then return 0 end
emit(ARGV[7])
return 1`);

/** ARGV: max dialogs per user, then (id, a, b) triples. Re-opens those that can be; returns how many. */
export const RESTORE_DIALOGS = script(`
local n = 0
for i = 4, #ARGV, 3 do
  if open_dialog(ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[3])) == 1 then
    emit(cjson.encode({t='dialog', id=ARGV[i], a=ARGV[i + 1], b=ARGV[i + 2], op='restore'}))
    n = n + 1
  end
end
return n`);

/** ARGV: event. An event that changes no state (sign-out, catch-up). */
export const EMIT = script(`emit(ARGV[3])
return 1`);

/**
 * ARGV: node, digest, then (user, name, hash) triples: the node's users, all of them. Whoever is not
 * in the list leaves the node, whoever is arrives; then the digest is the node's own total.
 */
export const ASSERT = script(`
local node = ARGV[3]
local want = {}
for i = 5, #ARGV, 3 do want[ARGV[i]] = true end
local changed = 0
for _, u in ipairs(redis.call('SMEMBERS', p..':node:'..node..':users')) do
  if not want[u] then changed = changed + remove(node, u, nil) end
end
for i = 5, #ARGV, 3 do changed = changed + add(node, ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
redis.call('SET', p..':node:'..node..':digest', ARGV[4])
return changed`);

/**
 * ARGV: node, ttl ms, digest, count. The heartbeat, and the check-in: epoch, its age, the last event's
 * number, cluster-wide totals, and whether the record of this node's users matches its digest and count.
 */
export const BEAT = script(`
local node = ARGV[3]
local e = epoch()
redis.call('SET', p..':alive:'..node, '1', 'PX', ARGV[4])
redis.call('SADD', p..':nodes', node)
local k = p..':node:'..node
local match = tonumber(redis.call('GET', k..':digest') or '0') == tonumber(ARGV[5])
  and redis.call('SCARD', k..':users') == tonumber(ARGV[6])
return { e, now_ms() - tonumber(redis.call('GET', p..':epoch-at')), tonumber(redis.call('GET', p..':seq') or '0'),
  redis.call('HLEN', p..':users'), redis.call('HLEN', p..':dialogs'), match and 1 or 0 }`);

/**
 * ARGV: this node. Removes every other node whose heartbeat expired, with its users; returns
 * [node, gone]... A dead node may have stored messages it never broadcast: everyone catches up.
 */
export const SWEEP = script(`
local dead = {}
for _, n in ipairs(redis.call('SMEMBERS', p..':nodes')) do
  if n ~= ARGV[3] and redis.call('EXISTS', p..':alive:'..n) == 0 then
    local gone = 0
    for _, u in ipairs(redis.call('SMEMBERS', p..':node:'..n..':users')) do gone = gone + remove(n, u, nil) end
    redis.call('DEL', p..':node:'..n..':users', p..':node:'..n..':digest')
    redis.call('SREM', p..':nodes', n)
    table.insert(dead, n)
    table.insert(dead, gone)
  end
end
if #dead > 0 then emit(cjson.encode({t='catch-up'})) end
return dead`);

/** The shared state and the log position it is at: epoch, seq, last stream id, users, dialogs. */
export const SNAPSHOT = script(`
local e = epoch()
local last = redis.call('XREVRANGE', p..':log', '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return { e, tonumber(redis.call('GET', p..':seq') or '0'), id, redis.call('HGETALL', p..':users'), redis.call('HGETALL', p..':dialogs') }`);
