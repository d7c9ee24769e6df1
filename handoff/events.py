"""The catalogue of what the hub records and pushes: stream events and live frames.

``Event``: entries in the ``events`` stream (``Keys.events``), one per change,
the source every statistic is derived from. ``Frame``: the ``type`` of what
is pushed to customers' and agents' WebSockets (over Redis pub/sub).
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    CONVERSATION_STARTED = "conversation_started"
    ESCALATED = "escalated"            # bot -> queued
    QUEUE_LEFT = "queue_left"          # queued -> bot (the customer cancelled)
    ASSIGNED = "assigned"              # queued -> assigned
    TRANSFERRED = "transferred"        # assigned -> assigned (another agent)
    RESOLVED = "resolved"              # assigned -> resolved
    HANDED_BACK = "handed_back"        # assigned -> bot
    REQUEUED = "requeued"              # assigned -> queued (the agent went offline)
    REOPENED = "reopened"              # resolved -> bot (the customer wrote again)
    RATED = "rated"
    ANSWER_FEEDBACK = "answer_feedback"
    # volume and the bot's decisions (analytics/): one per customer message, per bot turn, per agent reply
    CUSTOMER_MESSAGE = "customer_message"
    BOT_TURN = "bot_turn"                # "decision": answer / suggest / fallback / handoff / other / unavailable
    AGENT_MESSAGE = "agent_message"
    # A reply or notice that was no longer true when it was ready (the bot lost the
    # conversation while it was thinking): recorded here, never shown.
    MESSAGE_DROPPED = "message_dropped"
    # A customer turn that a worker left unfinished (it died) and another one completed.
    TURN_RECOVERED = "turn_recovered"
    TURN_FAILED = "turn_failed"
    # tickets (tickets/): every field needed for first response, resolution, SLA, reassignment, reopen
    TICKET_CREATED = "ticket_created"
    TICKET_ASSIGNED = "ticket_assigned"        # by routing, a claim or a supervisor; "previous" names the last owner
    TICKET_STATUS = "ticket_status"            # "from" -> "status"
    TICKET_REOPENED = "ticket_reopened"        # the customer wrote before it closed: counts against first-contact resolution
    TICKET_UPDATED = "ticket_updated"          # category, tags, contact
    TICKET_FIRST_RESPONSE = "ticket_first_response"
    TICKET_NOTE = "ticket_note"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_MET = "sla_met"
    FOLLOWUP_DONE = "followup_done"


class Frame(StrEnum):
    MESSAGE = "message"                          # a new transcript line
    STATUS = "status"                            # the conversation's status or queue position changed
    TYPING = "typing"                            # someone is typing (ephemeral, never stored)
    ERROR = "error"                              # the client sent something the hub could not take
    CONVERSATION_CHANGED = "conversation_changed"  # agents: a conversation moved (queue, status)
    CUSTOMER_MESSAGE = "customer_message"        # agents: a customer wrote in a human-owned chat
    PRESENCE = "presence"                        # agents: someone went online, away or offline
    RESYNC = "resync"                            # agents: live updates may have been missed; reload
    TICKET_CHANGED = "ticket_changed"            # agents: a ticket moved (status, assignee, SLA)
    SLA_ALERT = "sla_alert"                      # agents: a promise is about to be, or was, broken
    DELIVERY = "delivery"                        # agents: a line's delivery to a messaging channel changed (bot/outbox.py)
