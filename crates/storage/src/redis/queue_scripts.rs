//! The Lua scripts of [`super::RedisQueue`]: each runs atomically in Redis,
//! so a receive, a settlement or a count never sees a queue half changed.
//!
//! A queue `Q` is these keys, all with the hash tag `{Q}`:
//!
//! - `…:stream`: the messages that are visible (or in flight), one stream
//!   entry each with the fields `id`, `ts` (send time, ms), `ct` (content
//!   type), `body` and `fa` (failed attempts); the consumer group `motu`
//!   hands each entry to one node's consumer and keeps it pending there
//!   until it is acknowledged;
//! - `…:delayed`: a sorted set of the ids of messages not visible yet,
//!   scored by the time they become visible, and `…:data`: a hash of their
//!   fields (`<id>:ts`, `<id>:ct`, `<id>:body`, `<id>:fa`);
//! - `…:all`: a sorted set of every message's id, scored by send time (the
//!   backlog count and the oldest message), and `…:bytes`: their bodies'
//!   bytes.

use std::sync::LazyLock;

use redis::Script;

/// The consumer group of every queue's stream.
pub(super) const GROUP: &str = "motu";

/// Moves due delayed messages into the stream, then hands out up to
/// ARGV[2] entries to the consumer ARGV[4]: first pending entries whose
/// lease ran out (their consumer stopped renewing it for ARGV[5] ms:
/// `XAUTOCLAIM`), then new ones (`XREADGROUP`). KEYS: stream, delayed,
/// data. ARGV: now (ms), max, group, consumer, lease (ms). Returns the
/// entries as `XRANGE` does.
pub(super) static RECEIVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stream, delayed, data = KEYS[1], KEYS[2], KEYS[3]
local max, group, me, lease = tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  local f = redis.call('HMGET', data, id .. ':ts', id .. ':ct', id .. ':body', id .. ':fa')
  if f[3] then
    redis.call('XADD', stream, '*', 'id', id, 'ts', f[1], 'ct', f[2], 'body', f[3], 'fa', f[4])
  end
  redis.call('HDEL', data, id .. ':ts', id .. ':ct', id .. ':body', id .. ':fa')
  redis.call('ZREM', delayed, id)
end
local out = {}
local cursor = '0-0'
for _ = 1, 10 do
  if #out >= max then break end
  local r = redis.call('XAUTOCLAIM', stream, group, me, lease, cursor, 'COUNT', max - #out)
  for _, e in ipairs(r[2]) do
    if e then out[#out + 1] = e end
  end
  cursor = r[1]
  if cursor == '0-0' then break end
end
if #out < max then
  local r = redis.call('XREADGROUP', 'GROUP', group, me, 'COUNT', max - #out, 'STREAMS', stream, '>')
  if r then
    for _, e in ipairs(r[1][2]) do out[#out + 1] = e end
  end
end
return out
",
    )
});

/// Settles entries: ARGV[3..] are triples (entry id, `ack` | `retry` |
/// `release`, visible-at ms). An acknowledged entry is deleted with its
/// message; a retried or released one is deleted and its message added
/// again (to the stream if visible at ARGV[2], else to the delayed set),
/// with its failed attempts raised by one for `retry`. Entries no longer in
/// the stream (settled by another node) are skipped. KEYS: stream,
/// delayed, data, all, bytes. ARGV: group, now (ms), triples.
pub(super) static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stream, delayed, data, all, bytes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, now = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 3 do
  local eid, mode, at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local found = redis.call('XRANGE', stream, eid, eid)
  redis.pcall('XACK', stream, group, eid)
  if #found > 0 then
    local kv = found[1][2]
    local f = {}
    for j = 1, #kv, 2 do f[kv[j]] = kv[j + 1] end
    redis.call('XDEL', stream, eid)
    if mode == 'ack' then
      redis.call('ZREM', all, f.id)
      redis.call('DECRBY', bytes, #f.body)
    else
      local fa = tonumber(f.fa)
      if mode == 'retry' then fa = fa + 1 end
      if at <= now then
        redis.call('XADD', stream, '*', 'id', f.id, 'ts', f.ts, 'ct', f.ct, 'body', f.body, 'fa', fa)
      else
        redis.call('HSET', data, f.id .. ':ts', f.ts, f.id .. ':ct', f.ct, f.id .. ':body', f.body,
          f.id .. ':fa', fa)
        redis.call('ZADD', delayed, at, f.id)
      end
    end
  end
end
return #ARGV
",
    )
});

/// Renews the leases of entries ARGV[3..] that are still pending to the
/// consumer ARGV[2] (an entry another node claimed meanwhile is left to
/// it): their idle time starts again from zero. KEYS: stream. ARGV: group,
/// consumer, entry ids. Returns how many were renewed.
pub(super) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = 0
for i = 3, #ARGV do
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if type(p) == 'table' and p[1] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
",
    )
});

/// Counts: `{messages, bytes, oldest send time or -1, ready, next visible
/// time or -1}`, ready being the entries not handed out yet, the delayed
/// messages now due and (up to 100) the pending entries whose lease ran
/// out. KEYS: stream, delayed, all, bytes. ARGV: group, now (ms), lease
/// (ms).
pub(super) static STATS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stream, delayed, all, bytes = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, lease = ARGV[1], ARGV[3]
local messages = redis.call('ZCARD', all)
local size = tonumber(redis.call('GET', bytes) or 0)
local first = redis.call('ZRANGE', all, 0, 0, 'WITHSCORES')
local oldest = -1
if first[2] then oldest = tonumber(first[2]) end
local xlen = redis.call('XLEN', stream)
local pending, claimable = 0, 0
local p = redis.pcall('XPENDING', stream, group)
if type(p) == 'table' and p.err == nil then
  pending = p[1]
  if pending > 0 then
    claimable = #redis.call('XPENDING', stream, group, 'IDLE', lease, '-', '+', 100)
  end
end
local due = redis.call('ZCOUNT', delayed, '-inf', ARGV[2])
local later = redis.call('ZRANGEBYSCORE', delayed, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local next_at = -1
if later[2] then next_at = tonumber(later[2]) end
return {messages, size, oldest, xlen - pending + due + claimable, next_at}
",
    )
});
