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
 *   <p>:users           zset  connected users
 *   <p>:n{node}:socks   set   sockets owned by a node
 *   <p>:n{node}:alive   string with a TTL, refreshed by the node's heartbeat
 *   <p>:nodes           set   nodes that registered sockets
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

const DISCONNECT = `
local function disconnect(p, sid)
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
  local last = 0
  if redis.call('SCARD', socks) == 0 then
    last = 1
    redis.call('DEL', socks, p .. ':u{' .. uid .. '}:rooms', p .. ':u{' .. uid .. '}:name')
    redis.call('ZREM', p .. ':users', uid)
  end
  return {uid, info[2], last, left}
end
`;

/** ARGV: prefix, sid, uid, name, node. Returns 1 when it is the user's first socket. */
export const CONNECT_SCRIPT = `
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
if redis.call('SCARD', socks) == 1 then return 1 end
return 0
`;

/** ARGV: prefix, sid. Returns false, or {uid, name, last(0|1), {rooms left by the user}}. */
export const DISCONNECT_SCRIPT = `${LEAVE_ROOM}${DISCONNECT}
return disconnect(ARGV[1], ARGV[2])
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

/** ARGV: prefix, uid? (all users when absent). Returns {{uid, name, connections, {rooms}}, ...}. */
export const USERS_SCRIPT = `
local p, only = ARGV[1], ARGV[2]
local ids = only and {only} or redis.call('ZRANGE', p .. ':users', 0, -1)
local out = {}
for _, uid in ipairs(ids) do
  local connections = redis.call('SCARD', p .. ':u{' .. uid .. '}:socks')
  if connections > 0 then
    local name = redis.call('GET', p .. ':u{' .. uid .. '}:name') or uid
    table.insert(out, {uid, name, connections, redis.call('HKEYS', p .. ':u{' .. uid .. '}:rooms')})
  end
end
return out
`;

/**
 * ARGV: prefix, node, batch. Disconnects up to `batch` sockets of a node that stopped answering.
 * Returns the disconnect results; the node is forgotten once it has no socket left.
 */
export const SWEEP_NODE_SCRIPT = `${LEAVE_ROOM}${DISCONNECT}
local p, node, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local node_socks = p .. ':n{' .. node .. '}:socks'
if redis.call('EXISTS', p .. ':n{' .. node .. '}:alive') == 1 then return {} end
local out = {}
for _, sid in ipairs(redis.call('SRANDMEMBER', node_socks, batch)) do
  local result = disconnect(p, sid)
  redis.call('SREM', node_socks, sid)
  if result then table.insert(out, result) end
end
if redis.call('SCARD', node_socks) == 0 then redis.call('SREM', p .. ':nodes', node) end
return out
`;
