"""Who the customer is, as each member of staff may see it (docs/security.md, Permissions).

An agent sees a customer's name, contact and identities only in a chat (or on a
ticket) that is theirs; supervisors and admins always. Everywhere else, the queue,
a chat waiting or another agent's, its ticket and the customer panel, the name is
blank and contacts and identities are masked the way ``core/pii.py`` masks what
customers write: enough to tell two customers apart, not to reach one. The
staff routes pass the conversations, customer records and tickets they show
through here (an agent's own chats and history are theirs, shown as they are).
"""

from __future__ import annotations

from bot.outbox import Delivery
from core.pii import mask_contact, mask_contacts, mask_identity
from customers.store import CustomerRecord
from handoff.agents import Agent
from handoff.models import Conversation, Message
from tickets.models import Ticket


def sees_customer(agent: Agent, owner: str | None) -> bool:
    """Supervisors and admins: always. Agents: when the chat or ticket is theirs (``owner``)."""
    return agent.oversees or (owner is not None and owner == agent.username)


def conversation_for(agent: Agent, conv: Conversation) -> Conversation:
    if sees_customer(agent, conv.agent):
        return conv
    return conv.model_copy(update={"customer_name": ""})


def messages_for(agent: Agent, conv: Conversation, messages: list[Message]) -> list[Message]:
    """The transcript: customers' lines are masked when stored; the product's "we can reach you at ..." line is not."""
    if sees_customer(agent, conv.agent):
        return messages
    return [m.model_copy(update={"text": mask_contacts(m.text)}) if m.meta.get("kind") == "contact_saved" else m for m in messages]


def customer_for(agent: Agent, conv: Conversation, record: CustomerRecord | None) -> CustomerRecord | None:
    """The customer record beside ``conv``."""
    if record is None or sees_customer(agent, conv.agent):
        return record
    return record.model_copy(update={"name": "", "phone": mask_contact(record.phone) if record.phone else "",
                                     "email": mask_contact(record.email) if record.email else "",
                                     "identities": [mask_identity(i) for i in record.identities]})


def deliveries_for(agent: Agent, conv: Conversation, deliveries: dict[str, Delivery]) -> dict[str, Delivery]:
    """Each line's delivery: the customer's address on their channel (a Telegram id, a WeChat openid) is an identity."""
    if sees_customer(agent, conv.agent):
        return deliveries
    return {mid: d.model_copy(update={"to": mask_identity(f"{d.channel}:{d.to}").partition(":")[2]}) if d.to else d for mid, d in deliveries.items()}


def ticket_for(agent: Agent, ticket: Ticket) -> Ticket:
    if sees_customer(agent, ticket.assignee) or not ticket.contact:
        return ticket
    return ticket.model_copy(update={"contact": mask_contact(ticket.contact)})


def ticket_customer(agent: Agent, ticket: Ticket, name: str) -> str:
    """How a ticket's customer is named to ``agent`` in a list of tickets: their name (``name``, the conversation's
    customer name) where the viewer may see it, else a short id of the conversation, enough to tell two apart."""
    return name if name and sees_customer(agent, ticket.assignee) else f"#{ticket.conversation_id[:6]}"
