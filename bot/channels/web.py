"""The web channel (the chat page, the widget, any REST client of ``hub/routes/customer.py``).

Its delivery is the transcript itself: the page reads every line over its
WebSocket (and after ``?after=`` on reconnect), so nothing goes through the
outbox and a web conversation has no reply route. Its inbound side is the
customer REST API, which calls ``Orchestrator.customer_message`` directly and
waits for the replies, because a browser can hold the request open.
"""

from __future__ import annotations

from bot.channels.base import Channel, Outbound


class WebChannel(Channel):
    name = "web"
    identity = "web"

    async def deliver(self, address: str, piece: Outbound) -> str:
        return ""  # already delivered: it is in the transcript the page reads
