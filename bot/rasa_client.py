"""Talking to the Rasa server: send a customer message, read back what the bot says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


def as_typed(text: str) -> str:
    """A customer's typed text as Rasa must read it: as words, never as a command.

    Rasa takes a message that starts with ``/`` as ``/intent{entities}`` and skips its NLU: a
    customer typing ``/restart`` would restart the dialogue (and the bot fall silent), and
    ``/faq{"faq_id": ...}`` would pick any entry in any language. The leading slash becomes a
    full-width one: the same text to a reader and to the knowledge base's search (NFKC), words to Rasa.
    Only buttons the bot offered send commands (``Orchestrator.customer_message``).
    """
    stripped = text.lstrip()
    return "\uff0f" + stripped[1:] if stripped.startswith("/") else text


class BotUnavailable(RuntimeError):
    """Rasa did not answer in time, answered with an error, or said nothing at all."""


@dataclass
class BotReply:
    text: str
    buttons: list[dict] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class BotTurn:
    replies: list[BotReply]
    handoff: dict | None  # the packet action_handoff returned, if the bot escalated
    intent: str | None = None
    confidence: float | None = None
    kb_turns: list[dict] = field(default_factory=list)  # every bot_turn the actions reported, replied or not


class RasaClient:
    """The hub's only way to Rasa. ``token`` is Rasa's ``--auth-token``: its HTTP API refuses calls without it."""

    def __init__(self, base_url: str, timeout: float, token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = {"token": token} if token else {}
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, conversation_id: str, message: str, metadata: dict) -> BotTurn:
        try:
            resp = await self._http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": conversation_id, "message": message, "metadata": metadata},
            )
            resp.raise_for_status()
            raw = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa: {type(exc).__name__}: {exc}") from exc
        turn = parse_rest_output(raw)
        if not turn.replies and turn.handoff is None:
            # Every rule ends in a reply; silence means an action failed (action server down).
            raise BotUnavailable("Rasa returned no reply (is the action server up?)")
        if turn.intent is None:
            turn.intent, turn.confidence = await self._latest_intent(conversation_id)
        return turn

    async def _latest_intent(self, conversation_id: str) -> tuple[str | None, float | None]:
        try:
            resp = await self._http.get(f"{self.base_url}/conversations/{conversation_id}/tracker", params={"include_events": "NONE", **self._auth})
            intent = resp.json().get("latest_message", {}).get("intent", {})
            return intent.get("name"), intent.get("confidence")
        except (httpx.HTTPError, ValueError, AttributeError):
            return None, None

    async def set_slot(self, conversation_id: str, name: str, value: Any) -> bool:
        """Best effort (the miss counter when a human hands a chat back, the language when it changes): True if set."""
        try:
            resp = await self._http.post(
                f"{self.base_url}/conversations/{conversation_id}/tracker/events",
                json={"event": "slot", "name": name, "value": value}, params=self._auth,
            )
            return resp.status_code == 200
        except httpx.HTTPError:
            return False

    async def ready_part(self) -> dict:
        """For ``/healthz``: ``{"ok": True}`` when Rasa answers with a loaded model, else why not."""
        try:
            resp = await self._http.get(f"{self.base_url}/status", params=self._auth, timeout=2.0)
            if resp.status_code == 200 and resp.json().get("model_file"):
                return {"ok": True}
            return {"ok": False, "error": f"HTTP {resp.status_code}"}
        except (httpx.HTTPError, ValueError) as exc:
            return {"ok": False, "error": type(exc).__name__}


def parse_rest_output(raw: list[dict]) -> BotTurn:
    """Rasa's REST channel sends text and custom JSON as separate items.

    Convention with ``actions/``: a ``{"type": "bot_turn"}`` custom item
    describes the text item just before it (intent, KB hits, decision), or,
    when it has its own ``text``, is the reply itself (Rasa's REST channel
    would split a markdown answer at every blank line);
    ``{"type": "handoff"}`` carries the handoff packet.
    """
    replies: list[BotReply] = []
    handoff = None
    intent = confidence = None
    kb_turns: list[dict] = []
    for item in raw or []:
        custom = item.get("custom")
        if isinstance(custom, dict):
            if custom.get("type") == "handoff":
                handoff = custom.get("packet") or {}
            elif custom.get("type") == "bot_turn":
                meta = {k: v for k, v in custom.items() if k not in ("type", "text")}
                kb_turns.append(meta)
                intent = meta.get("intent", intent)
                confidence = meta.get("confidence", confidence)
                if custom.get("text"):
                    replies.append(BotReply(custom["text"], [], meta))
                elif replies:
                    replies[-1].meta.update(meta)
            continue
        if item.get("text"):
            buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in item.get("buttons") or []]
            replies.append(BotReply(item["text"], buttons))
    return BotTurn(replies, handoff, intent, confidence, kb_turns)
