"""Rasa's Redis ticket lock in two atomic round trips per message instead of six racy ones.

Rasa 3.6 serialises the messages of one conversation with a ticket lock kept as JSON under
``<prefix>:lock:<conversation>``. Its ``RedisLockStore`` reads, edits and writes that JSON from
Python: issuing a ticket is a ``GET`` then a ``SET``, acquiring it another ``GET``, releasing it
``GET``, ``SET``, ``GET`` and ``DEL``. Six round trips per message (a tenth of Rasa's CPU in the
capacity bench's profile), and not atomic: two Rasa replicas taking a message of the same
conversation at once can both read "no tickets" and both get ticket 0, and a replica that prunes
expired tickets while waiting can write back a list without the ticket another just issued.

Here each step is one Lua script on the same JSON, so a Rasa replica still running the stock store
reads and writes the same lock:

- ``issue``: drop expired tickets, append the next one, return its number and the number being
  served (the common case, nobody else in the conversation, is acquired at once: no second read);
- ``serving``: while waiting, drop expired tickets and return the number being served (or that the
  waiting ticket itself expired);
- ``release``: drop this ticket (and expired ones); delete the key once no ticket is left.

The key also expires with its last ticket's lifetime, so a Rasa killed in a turn leaves no lock
behind for ever; and a ticket lives only ``LEASE_SECONDS`` (10) at a time, renewed by the process
that holds it up to Rasa's lock lifetime, so a killed Rasa blocks its conversations for seconds,
not a minute. Runs in Rasa's own virtualenv; imports nothing of the app.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

# Shared by the three scripts: the lock's live tickets (each stored as a JSON string, as Rasa does),
# and writing them back (the key expires with the last ticket).
_TICKETS = """
local function live_tickets(raw, now)
  local tickets = {}
  if raw then
    for _, text in ipairs(cjson.decode(raw)['tickets'] or {}) do
      local ticket = cjson.decode(text)
      if tonumber(ticket['expires']) >= now then table.insert(tickets, ticket) end
    end
  end
  return tickets
end
local function store(key, conversation_id, tickets, now)
  if #tickets == 0 then redis.call('DEL', key) return end
  local texts, last = {}, now
  for i, ticket in ipairs(tickets) do
    texts[i] = cjson.encode(ticket)
    if ticket['expires'] > last then last = ticket['expires'] end
  end
  -- the key lives as long as its last ticket (the 0.001: float noise must not make 30 s into 30001 ms)
  redis.call('SET', key, cjson.encode({conversation_id = conversation_id, tickets = texts}), 'PX', math.max(1, math.ceil((last - now) * 1000 - 0.001)))
end
"""

# KEYS[1] the conversation's lock; ARGV[1] conversation id, ARGV[2] now (s), ARGV[3] the ticket's lifetime (s).
# Returns {ticket number, number now served}.
ISSUE = _TICKETS + """
local key, conversation_id, now, lifetime = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local tickets = live_tickets(redis.call('GET', key), now)
local number = 0
if #tickets > 0 then number = tickets[#tickets]['number'] + 1 end
table.insert(tickets, {number = number, expires = now + lifetime})
store(key, conversation_id, tickets, now)
return {number, tickets[1]['number']}
"""

# KEYS[1] the conversation's lock; ARGV[1] conversation id, ARGV[2] now (s), ARGV[3] the ticket waiting.
# Returns the number now served, or -1 when the waiting ticket is gone (it expired, or the whole lock did).
SERVING = _TICKETS + """
local key, conversation_id, now, waiting = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local raw = redis.call('GET', key)
local tickets = live_tickets(raw, now)
if raw then store(key, conversation_id, tickets, now) end
for _, ticket in ipairs(tickets) do
  if ticket['number'] == waiting then return tickets[1]['number'] end
end
return -1
"""

# KEYS[1] the conversation's lock; ARGV[1] conversation id, ARGV[2] now (s), ARGV[3] the ticket served.
RELEASE = _TICKETS + """
local key, conversation_id, now, number = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local raw = redis.call('GET', key)
if not raw then return 0 end
local kept = {}
for _, ticket in ipairs(live_tickets(raw, now)) do
  if ticket['number'] ~= number then table.insert(kept, ticket) end
end
store(key, conversation_id, kept, now)
return #kept
"""

# KEYS[1] the conversation's lock; ARGV[1] conversation id, ARGV[2] now (s), ARGV[3] the ticket, ARGV[4] its new expiry.
# Returns 1, or 0 when the ticket is gone (it lapsed: the renewal came too late).
RENEW = _TICKETS + """
local key, conversation_id, now, number, expires = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tickets = live_tickets(redis.call('GET', key), now)
local found = 0
for _, ticket in ipairs(tickets) do
  if ticket['number'] == number then ticket['expires'] = expires found = 1 end
end
if found == 1 then store(key, conversation_id, tickets, now) end
return found
"""

_FIRST_POLL_SECONDS = 0.02  # a conversation's next message usually waits for one short turn
# A ticket is issued for this long and renewed every third of it by the Rasa process that holds it (or waits with
# it), up to the lock's whole lifetime (Rasa's 60 s): a Rasa killed in a turn blocks its conversation for at most
# this long, not the whole lifetime.
LEASE_SECONDS = 10.0


class ScriptedRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket operations are atomic Lua scripts, one round trip each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._issue = self.red.register_script(ISSUE)
        self._serving = self.red.register_script(SERVING)
        self._release = self.red.register_script(RELEASE)
        self._renew = self.red.register_script(RENEW)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._issue_and_serving(conversation_id, lock_lifetime)[0]

    def _issue_and_serving(self, conversation_id: str, lock_lifetime: float) -> tuple[int, int]:
        try:
            number, serving = self._issue(keys=[self.key_prefix + conversation_id], args=[conversation_id, time.time(), lock_lifetime])
        except Exception as e:  # what Rasa's own issue_ticket raises
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e
        return int(number), int(serving)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``lock``: wait for this conversation's earlier messages, then hold it while this one is handled.

        The ticket lives ``LEASE_SECONDS`` at a time, renewed while this process is alive, until ``lock_lifetime``.
        """
        deadline = time.time() + lock_lifetime
        ticket, serving = self._issue_and_serving(conversation_id, min(LEASE_SECONDS, lock_lifetime))
        keeper = asyncio.create_task(self._keep(conversation_id, ticket, deadline))
        try:
            if serving != ticket:
                await self._wait_for(conversation_id, ticket, wait_time_in_seconds)
            yield TicketLock(conversation_id)
        finally:
            keeper.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep(self, conversation_id: str, ticket: int, deadline: float) -> None:
        """Renew the ticket every third of the lease until the lock's lifetime is up (a stuck turn still ends)."""
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            now = time.time()
            if now >= deadline:
                return
            try:
                self._renew(keys=[self.key_prefix + conversation_id], args=[conversation_id, now, ticket, min(now + LEASE_SECONDS, deadline)])
            except Exception:  # a Redis blip: the next renewal may still come in time, and waiting fails loudly if not
                continue

    async def _wait_for(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> None:
        # Polls soon, then every ``wait_time_in_seconds`` at most (Rasa polls every second from the start).
        pause = min(_FIRST_POLL_SECONDS, wait_time_in_seconds)
        while True:
            await asyncio.sleep(pause)
            serving = int(self._serving(keys=[self.key_prefix + conversation_id], args=[conversation_id, time.time(), ticket]))
            if serving == ticket:
                return
            if serving < 0:  # our ticket expired while waiting: Rasa's own store gives up too (once the whole lock is gone)
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            pause = min(pause * 2, wait_time_in_seconds)

    def update_lock(self, conversation_id: str) -> None:
        self._serving(keys=[self.key_prefix + conversation_id], args=[conversation_id, time.time(), -1])  # prunes expired tickets

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._release(keys=[self.key_prefix + conversation_id], args=[conversation_id, time.time(), ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Release the ticket; the key goes with the last one (one script, not Rasa's four commands)."""
        self.finish_serving(conversation_id, ticket_number)


def install() -> None:
    """Rasa's ``lock_store: type: redis`` (endpoints.yml) builds this store."""
    import rasa.core.lock_store as lock_store

    lock_store.RedisLockStore = ScriptedRedisLockStore
