"""Erasing conversations everywhere they live: what retention purges and what a customer's erasure request removes.

A conversation lives in its hash, transcript, handoff packet, sealed
originals, answer votes, turn bookkeeping, the indexes that list it (all
conversations, the queue, an agent's chats and history, the customer's signed
reference), Rasa's tracker and
lock, the content-gap records it produced, and the events that name it. One
pass over the event and gap streams serves a whole batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import redis

from analytics.facts import ConversationFacts
from analytics.index import tags
from core.redis import Keys

# Rate-limit counters keyed by the conversation (hub/middleware/rate_limit.py): short-lived, erased with it all the same.
CONVERSATION_RATE_SCOPES = ("messages_per_conversation", "customer_actions_per_conversation")


@dataclass
class Erased:
    conversations: int = 0
    keys: int = 0
    events: int = 0
    gap_records: int = 0
    ids: list[str] = field(default_factory=list)


class Eraser:
    def __init__(self, client: redis.Redis, keys: Keys, gap_streams: list[str]) -> None:
        self.r = client
        self.k = keys
        self.gap_streams = gap_streams

    def conversation_keys(self, cid: str) -> list[str]:
        k = self.k
        return [k.conv(cid), k.transcript(cid), k.packet(cid), k.client_ids(cid), k.pii(cid), k.pending_turns(cid),
                k.turn_outcomes(cid), k.turn_lock(cid), k.bot_language(cid), k.rasa_tracker(cid), k.rasa_lock(cid), k.answer_votes(cid),
                k.outbox(cid), k.deliveries(cid), k.outbox_lease(cid),
                *(k.rate(scope, cid) for scope in CONVERSATION_RATE_SCOPES)]

    def erase(self, cids: set[str]) -> Erased:
        done = Erased(ids=sorted(cids))
        if not cids:
            return done
        staff = self.r.smembers(self.k.agents)
        for cid in sorted(cids):
            conv = self.r.hgetall(self.k.conv(cid))
            pipe = self.r.pipeline(transaction=True)
            pipe.delete(*self.conversation_keys(cid))
            pipe.zrem(self.k.conversations, cid)
            pipe.zrem(self.k.queue, cid)
            pipe.zrem(self.k.open_turns, cid)
            pipe.zrem(self.k.outbox_due, cid)
            if conv.get("agent"):
                pipe.srem(self.k.agent_chats(conv["agent"]), cid)
            for name in staff:  # the agents' "recent chats" lists
                pipe.zrem(self.k.agent_history(name), cid)
            if conv.get("customer_id"):
                pipe.zrem(self.k.customer_conversations(conv["customer_id"]), cid)
            day = self.r.hget(self.k.analytics_days, cid)  # its facts in the analytics rollup (analytics/rollup.py)
            if day:
                raw = self.r.hget(self.k.analytics_day(day), cid)
                for tag in tags(ConversationFacts.from_dict(json.loads(raw))) if raw else ():  # the drill-down index
                    pipe.zrem(self.k.analytics_index(day, tag), cid)
                pipe.hdel(self.k.analytics_day(day), cid)
                pipe.delete(self.k.analytics_partials(day))  # the day's persisted figures hold its comments and ids
                pipe.hincrby(self.k.analytics_versions, day, 1)
            pipe.hdel(self.k.analytics_days, cid)
            done.keys += pipe.execute()[0]
            done.conversations += 1 if conv else 0
        done.events = self._drop_mentions(self.k.events, cids, "conversation_id")
        done.gap_records = sum(self._drop_mentions(stream, cids, "conversation_id") for stream in self.gap_streams)
        self._compact()
        return done

    def _compact(self) -> None:
        """Rewrite the append-only file, so what was erased is gone from disk too, not only from memory."""
        try:
            self.r.bgrewriteaof()
        except redis.ResponseError:
            pass  # persistence is off (an external Redis may not allow it): nothing on disk to compact here

    def _drop_mentions(self, stream: str, cids: set[str], field_name: str) -> int:
        dropped = 0
        start = "-"
        while True:
            rows = self.r.xrange(stream, start, "+", count=1000)
            if not rows:
                return dropped
            doomed = []
            for entry_id, fields in rows:
                try:
                    body = json.loads(next(iter(fields.values()), "{}"))
                except ValueError:
                    continue
                if body.get(field_name) in cids:
                    doomed.append(entry_id)
            if doomed:
                dropped += self.r.xdel(stream, *doomed)
            start = f"({rows[-1][0]}"  # exclusive: resume after the last row read
