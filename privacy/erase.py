"""Erasing conversations everywhere they live: what retention purges and what a customer's erasure request removes.

A conversation lives in its hash, transcript, handoff packet, sealed
originals, answer votes, turn bookkeeping, the indexes that list it (all
conversations, the queue, an agent's chats and history, the customer's signed
reference), Rasa's tracker and
lock, the content-gap records it produced, and the events that name it. One
pass over the event and gap streams serves a whole batch. What a bot turn still
under way writes afterwards is not kept: the hub's writes check that the
conversation exists, and the end of the turn deletes what Rasa wrote
(``bot/turns.py``, ``Keys.of_conversation``), and a Rasa turn the hub gave up on does not write its tracker back
(``Keys.rasa_erased``).

Its tickets go with it: each ticket's hash (the customer's words in the
summary, their contact, their rating), its internal notes, its places in the
ticket indexes, its number, its follow-up call, and the due work rq holds for
it (SLA clocks, auto-close: their job ids and arguments name the ticket). The
ticket events are dropped with the conversation's other events, as the
analytics already forget an erased conversation's facts (its ticket's figures
are part of those facts). The analytics part is done under the rollup's lock
(``analytics/rollup.py:holding_lock``), from the first facts removed to the
last event dropped: a fold running at the same time cannot write back what it
read before the erasure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from analytics.facts import ConversationFacts
from analytics.index import tags
from analytics.rollup import holding_lock
from core.redis import Keys
from privacy.subject import tickets_of

RASA_ERASED_SECONDS = 3600  # longer than any Rasa turn runs (the hub gives up on one after rasa_timeout_seconds)


@dataclass
class Erased:
    conversations: int = 0
    keys: int = 0
    events: int = 0
    gap_records: int = 0
    tickets: int = 0
    jobs: int = 0
    ids: list[str] = field(default_factory=list)


class Eraser:
    def __init__(self, client: redis.Redis, keys: Keys, gap_streams: list[str]) -> None:
        self.r = client
        self.k = keys
        self.gap_streams = gap_streams

    def conversation_keys(self, cid: str) -> list[str]:
        """Every key named after the conversation (``Keys.of_conversation``), its short-lived rate counters too."""
        return self.k.of_conversation(cid)

    def ticket_keys(self, ticket_id: str) -> list[str]:
        return [self.k.ticket(ticket_id), self.k.ticket_notes(ticket_id)]

    def erase(self, cids: set[str]) -> Erased:
        done = Erased(ids=sorted(cids))
        if not cids:
            return done
        staff = self.r.smembers(self.k.agents)
        tickets = tickets_of(self.r, self.k, cids)
        # Under the rollup's lock, from the first facts removed to the last event dropped: a fold running meanwhile
        # would write back the facts it read before (or fold the events not dropped yet) and bring the conversation back.
        with holding_lock(self.r, self.k) as keep:
            for cid in sorted(cids):
                self._erase_one(cid, tickets.get(cid, []), staff, done)
                keep()
            ticket_ids = {ticket_id for ids in tickets.values() for ticket_id in ids}
            done.events = self._drop_mentions(self.k.events, {"conversation_id": cids, "ticket_id": ticket_ids}, keep)
        done.tickets = len(ticket_ids)
        done.jobs = self._cancel_jobs(ticket_ids)
        done.gap_records = sum(self._drop_mentions(stream, {"conversation_id": cids}) for stream in self.gap_streams)
        self._compact()
        return done

    def _erase_one(self, cid: str, ticket_ids: list[str], staff: set[str], done: Erased) -> None:
        """One conversation's keys, tickets, places in the indexes and its facts in the analytics rollup, in one transaction."""
        conv = self.r.hgetall(self.k.conv(cid))
        pipe = self.r.pipeline(transaction=True)
        deletes = [len(pipe)]  # where each DELETE sits in the transaction, to count the keys it removed
        pipe.delete(*self.conversation_keys(cid))
        pipe.set(self.k.rasa_erased(cid), 1, ex=RASA_ERASED_SECONDS)  # a Rasa turn still under way must not write its tracker back
        for ticket_id in ticket_ids:
            number = self.r.hget(self.k.ticket(ticket_id), "number")
            deletes.append(len(pipe))
            pipe.delete(*self.ticket_keys(ticket_id))
            pipe.zrem(self.k.tickets_active, ticket_id)
            pipe.zrem(self.k.tickets_all, ticket_id)
            pipe.zrem(self.k.followups, ticket_id)
            if number:
                pipe.hdel(self.k.ticket_numbers, number)
        pipe.zrem(self.k.conversations, cid)
        pipe.zrem(self.k.queue, cid)
        pipe.zrem(self.k.open_turns, cid)
        pipe.zrem(self.k.outbox_due, cid)
        pipe.zrem(self.k.channel_deferred, cid)
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
        results = pipe.execute()
        done.keys += sum(results[i] for i in deletes)
        done.conversations += 1 if conv else 0

    def _cancel_jobs(self, ticket_ids: set[str]) -> int:
        """Delete the desk's rq jobs about these tickets (tickets/scheduler.py: each job id names its ticket), waiting
        or kept after they ran, and the demo clock's waiting work. A job already running finds no ticket and does nothing."""
        if not ticket_ids:
            return 0
        cancelled = 0
        simulated = self.r.zrange(self.k.demo_due, 0, -1)  # members: JSON [func, args, job id]
        doomed = [m for m in simulated if any(t in m for t in ticket_ids)]
        if doomed:
            cancelled += self.r.zrem(self.k.demo_due, *doomed)
        kwargs = {**self.r.connection_pool.connection_kwargs, "decode_responses": False}  # rq speaks bytes
        pool = redis.ConnectionPool(connection_class=self.r.connection_pool.connection_class, **kwargs)
        connection = redis.Redis(connection_pool=pool)
        try:
            queue = Queue(self.k.scheduler_queue, connection=connection)
            registries = (queue.scheduled_job_registry, queue.deferred_job_registry, queue.finished_job_registry,
                          queue.failed_job_registry, queue.canceled_job_registry)
            job_ids = {*queue.get_job_ids(), *(job_id for registry in registries for job_id in registry.get_job_ids(cleanup=False))}
            for job_id in sorted(j for j in job_ids if any(t in j for t in ticket_ids)):
                try:
                    Job.fetch(job_id, connection=connection).delete()
                except NoSuchJobError:  # an entry left without its job
                    for registry in registries:
                        registry.remove(job_id)
                    queue.remove(job_id)
                cancelled += 1
        finally:
            pool.disconnect()
        return cancelled

    def _compact(self) -> None:
        """Rewrite the append-only file, so what was erased is gone from disk too, not only from memory."""
        try:
            self.r.bgrewriteaof()
        except redis.ResponseError:
            pass  # persistence is off (an external Redis may not allow it): nothing on disk to compact here

    def _drop_mentions(self, stream: str, mentions: dict[str, set[str]], keep: Callable[[], object] = lambda: None) -> int:
        """Delete the entries of ``stream`` whose JSON body has, in any field named in ``mentions``, one of its values.
        ``keep`` is called between pages (it keeps the rollup's lock held through a long stream)."""
        dropped = 0
        start = "-"
        while True:
            keep()
            rows = self.r.xrange(stream, start, "+", count=1000)
            if not rows:
                return dropped
            doomed = []
            for entry_id, fields in rows:
                try:
                    body = json.loads(next(iter(fields.values()), "{}"))
                except ValueError:
                    continue
                if any(body.get(name) in values for name, values in mentions.items()):
                    doomed.append(entry_id)
            if doomed:
                dropped += self.r.xdel(stream, *doomed)
            start = f"({rows[-1][0]}"  # exclusive: resume after the last row read
