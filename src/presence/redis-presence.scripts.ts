import { OFFLINE_TOKEN_LENGTH } from './presence-store.js';

/**
 * Lua scripts behind RedisPresenceStore. Each runs atomically in Redis, so first/last decisions
 * (presence:online/offline, member-joined/left) are taken exactly once in the whole cluster, and
 * each is idempotent per socket: running one twice changes nothing the second time.
 *
 * Key layout (ARGV[1] is the prefix; ids are wrapped in braces, which they cannot contain, so no
 * id can forge another key):
 *   <p>:s{sid}          hash  uid, name, node      one socket
 *   <p>:s{sid}:rooms    set   rooms of that socket
 *   <p>:u{uid}:socks    set   sockets of a user
 *   <p>:u{uid}:name     string display name
 *   <p>:u{uid}:rooms    hash  room -> sockets of the user in it
 *   <p>:r{room}:users   hash  uid -> sockets of the user in it
 *   <p>:rooms           zset  rooms with members (score 0: lexicographic order)
 *   <p>:users           zset  connected users (score 0: pages by id with ZRANGEBYLEX)
 *   <p>:u{uid}:offline  hash  node, token: the user's pending offline (PRESENCE_GRACE_MS), with
 *                             a TTL; only a user without sockets has one
 *   <p>:n{node}:socks   set   sockets owned by a node
 *   <p>:n{node}:pending hash  uid -> token .. name: offlines that node still owes (its grace timers)
 *   <p>:n{node}:alive   string with a TTL, refreshed by the node's heartbeat
 *   <p>:nodes           set   nodes that registered sockets
 *
 * A pending offline is owed by exactly one node: the entry in its :pending hash. The user's next
 * first connection removes both marker and entry (no online, no offline). Otherwise the owing
 * node settles it when its timer fires, or, when that node died, whichever node sweeps it.
 */

const LEAVE_ROOM = `
local function leave_room(p, sid, uid, room)
  if redis.call('SREM', p .. ':s{' .. sid .. '}:rooms', room) == 0 then return false end
  local user_rooms = p .. ':u{' .. uid .. '}:rooms'
  if redis.call('HINCRBY', user_rooms, room, -1) <= 0 then redis.call('HDEL', user_rooms, room) end
  local room_users = p .. ':r{' .. room .. '}:users'
  if redis.call('HINCRBY', room_users, uid, -1) <= 0 then
    redis.call('HDEL', room_users, uid)
    if redis.call('HLEN', room_users) == 0 then redis.call('ZREM', p .. ':rooms', room) end
    return true
  end
  return false
end
`;

/** grace_ttl > 0 defers the offline of a last connection: a marker and an entry owed by `node`. */
const DISCONNECT = `
local function disconnect(p, sid, node, grace_ttl, token)
  local sock = p .. ':s{' .. sid .. '}'
  local info = redis.call('HMGET', sock, 'uid', 'name', 'node')
  local uid = info[1]
  if not uid then return false end
  local left = {}
  for _, room in ipairs(redis.call('SMEMBERS', sock .. ':rooms')) do
    if leave_room(p, sid, uid, room) then table.insert(left, room) end
  end
  redis.call('DEL', sock, sock .. ':rooms')
  local socks = p .. ':u{' .. uid .. '}:socks'
  redis.call('SREM', socks, sid)
  redis.call('SREM', p .. ':n{' .. info[3] .. '}:socks', sid)
  if redis.call('SCARD', socks) > 0 then return {uid, info[2], 0, left} end
  redis.call('DEL', socks, p .. ':u{' .. uid .. '}:rooms', p .. ':u{' .. uid .. '}:name')
  redis.call('ZREM', p .. ':users', uid)
  if grace_ttl <= 0 then return {uid, info[2], 1, left} end
  local marker = p .. ':u{' .. uid .. '}:offline'
  redis.call('HSET', marker, 'node', node, 'token', token)
  redis.call('PEXPIRE', marker, grace_ttl)
  redis.call('HSET', p .. ':n{' .. node .. '}:pending', uid, token .. info[2])
  return {uid, info[2], 1, left, token}
end
`;

/**
 * Settles what `node` owes for `uid`: returns the user's name when presence:offline is due now,
 * false when it is not (the entry is gone or another's, a newer departure owns the marker, or the
 * user has a socket again). Removes the entry and its own marker either way.
 */
const SETTLE = `
local TOKEN_LENGTH = ${OFFLINE_TOKEN_LENGTH}
local function settle(p, node, uid, token)
  local owed = p .. ':n{' .. node .. '}:pending'
  local entry = redis.call('HGET', owed, uid)
  if not entry or string.sub(entry, 1, TOKEN_LENGTH) ~= token then return false end
  redis.call('HDEL', owed, uid)
  local marker = p .. ':u{' .. uid .. '}:offline'
  local marked = redis.call('HGET', marker, 'token')
  if marked == token then
    redis.call('DEL', marker)
  elseif marked then
    return false
  end
  -- Still owed without a marker: the marker's TTL ran out first, and nobody came back meanwhile.
  if redis.call('EXISTS', p .. ':u{' .. uid .. '}:socks') == 1 then return false end
  return string.sub(entry, TOKEN_LENGTH + 1)
end
`;

/**
 * ARGV: prefix, sid, uid, name, node. Returns 1 when it is the user's first socket, 2 when it is
 * the first but cancels a pending offline (no presence event is due), 0 otherwise.
 */
export const CONNECT_SCRIPT = `
local TOKEN_LENGTH = ${OFFLINE_TOKEN_LENGTH}
local p, sid, uid, name, node = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local sock = p .. ':s{' .. sid .. '}'
if redis.call('EXISTS', sock) == 1 then return 0 end
redis.call('HSET', sock, 'uid', uid, 'name', name, 'node', node)
local socks = p .. ':u{' .. uid .. '}:socks'
redis.call('SADD', socks, sid)
redis.call('SET', p .. ':u{' .. uid .. '}:name', name)
redis.call('ZADD', p .. ':users', 0, uid)
redis.call('SADD', p .. ':n{' .. node .. '}:socks', sid)
redis.call('SADD', p .. ':nodes', node)
if redis.call('SCARD', socks) > 1 then return 0 end
local marker = p .. ':u{' .. uid .. '}:offline'
local pending = redis.call('HMGET', marker, 'node', 'token')
if not pending[1] then return 1 end
redis.call('DEL', marker)
local owed = p .. ':n{' .. pending[1] .. '}:pending'
local entry = redis.call('HGET', owed, uid)
if entry and string.sub(entry, 1, TOKEN_LENGTH) == pending[2] then redis.call('HDEL', owed, uid) end
return 2
`;

/**
 * ARGV: prefix, sid, node, grace ttl (ms, 0: offline at once), token. Returns false, or
 * {uid, name, last(0|1), {rooms left by the user}, token when the offline is deferred}.
 */
export const DISCONNECT_SCRIPT = `${LEAVE_ROOM}${DISCONNECT}
return disconnect(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5])
`;

/** ARGV: prefix, node, uid, token. Returns 1 when presence:offline is due now (see settle). */
export const SETTLE_OFFLINE_SCRIPT = `${SETTLE}
if settle(ARGV[1], ARGV[2], ARGV[3], ARGV[4]) then return 1 end
return 0
`;

/**
 * ARGV: prefix, node, uid, token, name, grace ttl. After Redis came back (possibly empty): puts a
 * pending offline of this node back unless the user has a socket or a newer departure owns the
 * marker. Returns 1 when the offline is still pending, 0 when it is not due any more.
 */
export const RESTORE_OFFLINE_SCRIPT = `
local p, node, uid, token, name, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local owed = p .. ':n{' .. node .. '}:pending'
local marker = p .. ':u{' .. uid .. '}:offline'
local marked = redis.call('HGET', marker, 'token')
if marked and marked ~= token then return 0 end
if not marked then
  if redis.call('EXISTS', p .. ':u{' .. uid .. '}:socks') == 1 then return 0 end
  redis.call('HSET', marker, 'node', node, 'token', token)
  redis.call('PEXPIRE', marker, ttl)
end
redis.call('HSET', owed, uid, token .. name)
return 1
`;

/** ARGV: prefix, sid, room. Returns 1 when the user had no other socket in the room, -1 for an unknown socket. */
export const JOIN_SCRIPT = `
local p, sid, room = ARGV[1], ARGV[2], ARGV[3]
local uid = redis.call('HGET', p .. ':s{' .. sid .. '}', 'uid')
if not uid then return -1 end
if redis.call('SADD', p .. ':s{' .. sid .. '}:rooms', room) == 0 then return 0 end
redis.call('HINCRBY', p .. ':u{' .. uid .. '}:rooms', room, 1)
local count = redis.call('HINCRBY', p .. ':r{' .. room .. '}:users', uid, 1)
redis.call('ZADD', p .. ':rooms', 0, room)
if count == 1 then return 1 end
return 0
`;

/** ARGV: prefix, sid, room. Returns 1 when it was the user's last socket in the room. */
export const LEAVE_SCRIPT = `${LEAVE_ROOM}
local p, sid, room = ARGV[1], ARGV[2], ARGV[3]
local uid = redis.call('HGET', p .. ':s{' .. sid .. '}', 'uid')
if not uid then return -1 end
if leave_room(p, sid, uid, room) then return 1 end
return 0
`;

/**
 * ARGV: prefix, uid, room. Every socket of the user leaves the room. Returns {was_in(0|1), {sids
 * that left}}: was_in is 1 when the user had a socket in it (member-left is due).
 */
export const LEAVE_EVERYWHERE_SCRIPT = `${LEAVE_ROOM}
local p, uid, room = ARGV[1], ARGV[2], ARGV[3]
local was_in = 0
local left = {}
for _, sid in ipairs(redis.call('SMEMBERS', p .. ':u{' .. uid .. '}:socks')) do
  if redis.call('SISMEMBER', p .. ':s{' .. sid .. '}:rooms', room) == 1 then
    table.insert(left, sid)
    if leave_room(p, sid, uid, room) then was_in = 1 end
  end
end
return {was_in, left}
`;

/** ARGV: prefix, uid, uid, ... Returns {1 or 0, ...}: whether each user has a socket. */
export const ONLINE_SCRIPT = `
local p = ARGV[1]
local out = {}
for i = 2, #ARGV do
  out[i - 1] = redis.call('EXISTS', p .. ':u{' .. ARGV[i] .. '}:socks')
end
return out
`;

/** ARGV: prefix, room. Returns {uid, name, uid, name, ...}. */
export const MEMBERS_SCRIPT = `
local p, room = ARGV[1], ARGV[2]
local out = {}
for _, uid in ipairs(redis.call('HKEYS', p .. ':r{' .. room .. '}:users')) do
  table.insert(out, uid)
  table.insert(out, redis.call('GET', p .. ':u{' .. uid .. '}:name') or uid)
end
return out
`;

/** ARGV: prefix. Returns {room, memberCount, room, memberCount, ...} in name order. */
export const ROOMS_SCRIPT = `
local p = ARGV[1]
local out = {}
for _, room in ipairs(redis.call('ZRANGE', p .. ':rooms', 0, -1)) do
  table.insert(out, room)
  table.insert(out, redis.call('HLEN', p .. ':r{' .. room .. '}:users'))
end
return out
`;

const SUMMARY = `
local function summary(p, uid)
  local connections = redis.call('SCARD', p .. ':u{' .. uid .. '}:socks')
  if connections == 0 then return false end
  local name = redis.call('GET', p .. ':u{' .. uid .. '}:name') or uid
  return {uid, name, connections, redis.call('HKEYS', p .. ':u{' .. uid .. '}:rooms')}
end
`;

/** ARGV: prefix, uid. Returns {uid, name, connections, {rooms}}, or false when not connected. */
export const USER_SCRIPT = `${SUMMARY}
return summary(ARGV[1], ARGV[2])
`;

/**
 * ARGV: prefix, after ('' for the first page), limit. Reads limit + 1 ids from the cursor on, so
 * the work is bounded by the page, not by how many users are connected.
 * Returns {{{uid, name, connections, {rooms}}, ...}, next id or false on the last page}.
 */
export const USERS_PAGE_SCRIPT = `${SUMMARY}
local p, after, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local from = '-'
if after ~= '' then from = '(' .. after end
local ids = redis.call('ZRANGEBYLEX', p .. ':users', from, '+', 'LIMIT', 0, limit + 1)
local out = {}
for i = 1, math.min(#ids, limit) do
  local user = summary(p, ids[i])
  if user then table.insert(out, user) end
end
if #ids > limit then return {out, ids[limit]} end
return {out, false}
`;

/**
 * ARGV: prefix, node, batch. Settles up to `batch` sockets, then pending offlines, of a node that
 * stopped answering; its departures are announced at once (no grace: the node's clients have had
 * NODE_TTL_MS to come back). Returns {{disconnect results}, done(0|1)}; done once the node is
 * alive again or forgotten (no socket and no pending offline left).
 */
export const SWEEP_NODE_SCRIPT = `${LEAVE_ROOM}${DISCONNECT}${SETTLE}
local p, node, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local node_socks = p .. ':n{' .. node .. '}:socks'
local owed = p .. ':n{' .. node .. '}:pending'
if redis.call('EXISTS', p .. ':n{' .. node .. '}:alive') == 1 then return {{}, 1} end
local out = {}
for _, sid in ipairs(redis.call('SRANDMEMBER', node_socks, batch)) do
  local result = disconnect(p, sid, node, 0, '')
  redis.call('SREM', node_socks, sid)
  if result then table.insert(out, result) end
end
if redis.call('SCARD', node_socks) == 0 then
  local entries = redis.call('HRANDFIELD', owed, batch, 'WITHVALUES')
  for i = 1, #entries, 2 do
    local uid = entries[i]
    local name = settle(p, node, uid, string.sub(entries[i + 1], 1, TOKEN_LENGTH))
    if name then table.insert(out, {uid, name, 1, {}}) end
  end
end
if redis.call('SCARD', node_socks) == 0 and redis.call('HLEN', owed) == 0 then
  redis.call('SREM', p .. ':nodes', node)
  return {out, 1}
end
return {out, 0}
`;
