"""The shared room state of a cluster, in Redis: keys, Lua scripts, calls.

Every change of membership is one Lua script, so it is atomic across the
cluster: two processes admitting the last free place of a room at once
cannot both succeed, and whoever admits second learns of the first.
Scripts also publish the join and left envelopes (see clustercore) to the
channels of the processes that host the room's other members, in the same
step, so that no process misses a change it did not read back.

Keys (``P`` is the prefix, ``avacollab:`` unless set otherwise):

* ``P room:ROOM``: hash, peer id -> ``"PROC INFO"`` (its process, then the
  JSON the others see of it);
* ``P rooms``: set of the rooms that have members (the room-count cap);
* ``P procs``: set of the processes that hold members;
* ``P alive:PROC``: a key with the heartbeat TTL; when it expires, the next
  heartbeat of any process removes PROC's members and announces them left;
* ``P owned:PROC``: set of ``"PEER ROOM"`` that PROC holds (for that);
* ``P gone:PEER``: a peer that left for good, whose resume token no process
  honours any more (kept for resume_max_age);
* channel ``P proc:PROC``: the envelopes for PROC's peers (and the marks
  of flow control between processes, see clustercore.Flow).

Room names never hold a space and peer ids are URL-safe base64, which is
what lets the scripts split ``"PEER ROOM"`` and ``"PROC INFO"`` on the first
space. Keys are computed inside the scripts, so this needs one Redis (or a
primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from .clustercore import Member, Outcome
from .protocol import ErrorCode

PREFIX = "avacollab:"

# Shared by the scripts: tell every other process of a room (`members` is
# an HGETALL reply) an envelope; skip `proc` itself.
_TELL = """
local function tell(pre, members, proc, envelope)
  local told = {}
  for i = 2, #members, 2 do
    local p = string.match(members[i], '^(%S+)')
    if p ~= proc and not told[p] then
      told[p] = true
      redis.call('PUBLISH', pre .. 'proc:' .. p, envelope)
    end
  end
end
local function left(pre, room, peer, reason)
  return '{"k":"left","room":' .. cjson.encode(room) .. ',"peer":' .. cjson.encode(peer)
    .. ',"reason":' .. cjson.encode(reason) .. '}'
end
-- Remove PEER from ROOM if PROC holds it there; tell the others.
local function remove(pre, room, peer, proc, reason)
  local rkey = pre .. 'room:' .. room
  local cur = redis.call('HGET', rkey, peer)
  if not cur or string.match(cur, '^(%S+)') ~= proc then
    return 0
  end
  redis.call('HDEL', rkey, peer)
  redis.call('SREM', pre .. 'owned:' .. proc, peer .. ' ' .. room)
  local members = redis.call('HGETALL', rkey)
  if #members == 0 then
    redis.call('SREM', pre .. 'rooms', room)
  end
  tell(pre, members, proc, left(pre, room, peer, reason))
  return 1
end
"""

# ARGV: prefix, room, proc, peer, resume (0/1), info JSON, max room size, max rooms.
# Returns {'ok', members...}, {'gone'} or {error code}.
JOIN = (
    _TELL
    + """
local pre, room, proc, peer, resume, info = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local rkey = pre .. 'room:' .. room
if resume == '1' and redis.call('EXISTS', pre .. 'gone:' .. peer) == 1 then
  return {'gone'}
end
local members = redis.call('HGETALL', rkey)
local old = redis.call('HGET', rkey, peer)
local oldproc = old and string.match(old, '^(%S+)')
if not old then
  if #members == 0 and redis.call('SCARD', pre .. 'rooms') >= tonumber(ARGV[8]) then
    return {'too-many-rooms'}
  end
  if #members / 2 >= tonumber(ARGV[7]) then
    return {'room-full'}
  end
end
redis.call('HSET', rkey, peer, proc .. ' ' .. info)
redis.call('SADD', pre .. 'rooms', room)
redis.call('SADD', pre .. 'procs', proc)
redis.call('SADD', pre .. 'owned:' .. proc, peer .. ' ' .. room)
if oldproc and oldproc ~= proc then
  redis.call('SREM', pre .. 'owned:' .. oldproc, peer .. ' ' .. room)
end
tell(pre, members, proc, '{"k":"join","room":' .. cjson.encode(room) .. ',"peer":'
  .. cjson.encode(peer) .. ',"proc":' .. cjson.encode(proc) .. ',"info":' .. info .. '}')
local reply = {'ok'}
for i = 1, #members do
  reply[#reply + 1] = members[i]
end
return reply
"""
)

# ARGV: prefix, room, proc, peer, reason, seconds to remember it gone (0: not gone).
LEAVE = (
    _TELL
    + """
local pre, room, proc, peer, reason, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local removed = remove(pre, room, peer, proc, reason)
if tonumber(ttl) > 0 then
  redis.call('SET', pre .. 'gone:' .. peer, '1', 'EX', ttl)
end
return removed
"""
)

# ARGV: prefix, proc, TTL in milliseconds, reason for the members of dead processes.
# Refreshes PROC's heartbeat and removes the members of every process whose
# heartbeat expired. Returns 1 if PROC's own key had been there (0: it had
# expired or Redis lost its data, and PROC must put its members back).
HEARTBEAT = (
    _TELL
    + """
local pre, proc, ttl, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local was = redis.call('EXISTS', pre .. 'alive:' .. proc)
redis.call('SET', pre .. 'alive:' .. proc, '1', 'PX', ttl)
redis.call('SADD', pre .. 'procs', proc)
for _, other in ipairs(redis.call('SMEMBERS', pre .. 'procs')) do
  if redis.call('EXISTS', pre .. 'alive:' .. other) == 0 then
    for _, entry in ipairs(redis.call('SMEMBERS', pre .. 'owned:' .. other)) do
      local peer, room = string.match(entry, '^(%S+) (.*)$')
      remove(pre, room, peer, other, reason)
    end
    redis.call('DEL', pre .. 'owned:' .. other)
    redis.call('SREM', pre .. 'procs', other)
  end
end
return was
"""
)

# ARGV: prefix, proc, reason, then (room, peer, info) for every member PROC
# holds. Puts back the members the shared state lost (a Redis restart, or
# PROC's heartbeat expired while it was cut off), telling the rooms, and
# removes those it holds no more (leaves it could not write meanwhile).
# Room caps are not applied: these peers were admitted already.
RESTORE = (
    _TELL
    + """
local pre, proc, reason = ARGV[1], ARGV[2], ARGV[3]
local held = {}
for i = 4, #ARGV, 3 do
  local room, peer, info = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  held[peer .. ' ' .. room] = true
  local rkey = pre .. 'room:' .. room
  local cur = redis.call('HGET', rkey, peer)
  if not cur then
    local members = redis.call('HGETALL', rkey)
    redis.call('HSET', rkey, peer, proc .. ' ' .. info)
    redis.call('SADD', pre .. 'rooms', room)
    redis.call('SADD', pre .. 'owned:' .. proc, peer .. ' ' .. room)
    tell(pre, members, proc, '{"k":"join","room":' .. cjson.encode(room) .. ',"peer":'
      .. cjson.encode(peer) .. ',"proc":' .. cjson.encode(proc) .. ',"info":' .. info .. '}')
  end
end
for _, entry in ipairs(redis.call('SMEMBERS', pre .. 'owned:' .. proc)) do
  if not held[entry] then
    local peer, room = string.match(entry, '^(%S+) (.*)$')
    remove(pre, room, peer, proc, reason)
    redis.call('SREM', pre .. 'owned:' .. proc, entry)
  end
end
redis.call('SADD', pre .. 'procs', proc)
return 1
"""
)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def members_from(flat: Sequence[Any]) -> tuple[Member, ...]:
    """Members from an HGETALL-shaped list: peer, "PROC INFO", peer, ..."""
    members = []
    for i in range(0, len(flat) - 1, 2):
        proc, _, info = _text(flat[i + 1]).partition(" ")
        try:
            described = json.loads(info)
        except ValueError:
            continue
        if isinstance(described, dict):
            members.append(Member(_text(flat[i]), proc, described))
    return tuple(members)


class RedisState:
    """The scripts and calls of one process on the shared state."""

    def __init__(self, client: Redis, proc: str, prefix: str = PREFIX) -> None:
        self.client = client
        self.proc = proc
        self.prefix = prefix
        self.channel = f"{prefix}proc:{proc}"

    def channel_of(self, proc: str) -> str:
        return f"{self.prefix}proc:{proc}"

    async def join(
        self,
        room: str,
        peer: str,
        *,
        resume: bool,
        info: dict[str, Any],
        max_room_size: int,
        max_rooms: int,
    ) -> Outcome:
        args: list[str | int] = [
            self.prefix,
            room,
            self.proc,
            peer,
            "1" if resume else "0",
            json.dumps(info, separators=(",", ":")),
            max_room_size,
            max_rooms,
        ]
        reply = await self.client.eval(JOIN, 0, *args)
        status = _text(reply[0])
        if status == "gone":
            return Outcome(None, peer, gone=True)
        if status != "ok":
            return Outcome(ErrorCode(status))
        return Outcome(None, peer, members_from(reply[1:]))

    def leave_args(self, room: str, peer: str, reason: str, gone_ttl: int) -> list[str | int]:
        return [self.prefix, room, self.proc, peer, reason, gone_ttl]

    async def heartbeat(self, ttl: float, reason: str) -> bool:
        args: list[str | int] = [self.prefix, self.proc, max(1, int(ttl * 1000)), reason]
        return bool(await self.client.eval(HEARTBEAT, 0, *args))

    async def restore(self, held: Sequence[tuple[str, str, dict[str, Any]]], reason: str) -> None:
        args: list[str | int] = [self.prefix, self.proc, reason]
        for room, peer, info in held:
            args += [room, peer, json.dumps(info, separators=(",", ":"))]
        await self.client.eval(RESTORE, 0, *args)

    async def members(self, room: str) -> tuple[Member, ...]:
        found: dict[Any, Any] = await self.client.hgetall(f"{self.prefix}room:{room}")
        return members_from([x for item in found.items() for x in item])
