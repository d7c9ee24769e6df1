"""Starting a conversation for whoever writes, on any channel: find (or create) their customer record first.

A channel knows the customer by an identity (a web visitor id, a Telegram user
id, a WeChat openid); the shop may also have signed who they are (a customer
reference with tier and name, ``core/identity.py``). Signed attributes are the
only ones that change treatment; an unsigned conversation is an anonymous
standard customer, though still the same person across their visits.
"""

from __future__ import annotations

from dataclasses import dataclass

from customers.store import CustomerStore, IdentityKind
from handoff.conversations import ConversationStore
from handoff.models import Conversation


@dataclass(frozen=True)
class SignedCustomer:
    ref: str
    tier: str
    name: str


class Intake:
    def __init__(self, conversations: ConversationStore, customers: CustomerStore) -> None:
        self.conversations = conversations
        self.customers = customers

    async def start(self, channel: str, language: str, *, identity: tuple[IdentityKind, str] | None = None,
                    signed: SignedCustomer | None = None) -> tuple[Conversation, str]:
        """A new conversation of the customer behind ``identity`` (and ``signed``), and its customer token."""
        customer_id = ""
        if signed:
            # The shop's record if it exists, else the visitor's (with their history), else a new one.
            customer_id = await self.customers.find("shop", signed.ref) or (await self.customers.find(*identity) if identity else None) \
                or await self.customers.identify("shop", signed.ref)
            customer_id = await self.customers.add_identity(customer_id, "shop", signed.ref)
            if identity:
                customer_id = await self.customers.add_identity(customer_id, *identity)  # their earlier anonymous visits join the record
            await self.customers.fill(customer_id, overwrite=True, tier=signed.tier, name=signed.name)
            await self.customers.fill(customer_id, language=language)
        elif identity:
            customer_id = await self.customers.identify(*identity, language=language)
        if signed:
            conv, token = await self.conversations.create(channel, language, signed.name, signed.tier, signed.ref, verified=True, customer_id=customer_id)
        else:
            # A supervisor may have made the visitor's record a VIP's (the console's service plan): their chats are.
            record = await self.customers.get(customer_id) if customer_id else None
            tier = "vip" if record is not None and record.tier == "vip" else "standard"
            conv, token = await self.conversations.create(channel, language, customer_tier=tier, customer_id=customer_id)
        return conv, token
