"""The errors the product's own code raises, named by what they mean to a caller.

    ServiceError
     ├── NotFound                 the thing named does not exist
     │    ├── UnknownConversation
     │    └── UnknownAgent
     ├── NotAllowed               it exists, but this caller may not do that
     │    └── NotOwner            another agent owns the conversation
     ├── Invalid                  well-formed, but asks for something that makes no sense (a chat transferred to its own agent)
     ├── Conflict                 not possible in the thing's current state
     │    ├── WrongStatus         e.g. claiming a chat that is no longer queued
     │    ├── AtCapacity          the agent already has as many chats as allowed
     │    ├── Stale               the conversation changed hands meanwhile
     │    └── CustomerWrote       the customer wrote something the agent closing the chat has not seen
     ├── Unavailable              a part the request needs is down (Redis): try again
     └── Upstream                 a platform the request goes through (Telegram, WeChat) refused or failed

The hub maps each branch to one HTTP status (404, 403, 422, 409, 503, 502) in one place (``hub/errors.py``);
domain code never speaks HTTP. Beside its English ``detail`` each error names its kind as a ``code`` (the class
name in snake case: ``at_capacity``, ``wrong_status``, ...), so a page can say why in its own language.
"""

from __future__ import annotations

import re


class ServiceError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def code(self) -> str:
        """The kind of refusal, stable for clients to translate: ``AtCapacity`` -> ``at_capacity``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class NotFound(ServiceError):
    pass


class UnknownConversation(NotFound):
    def __init__(self, detail: str = "unknown conversation") -> None:
        super().__init__(detail)


class UnknownAgent(NotFound):
    def __init__(self, detail: str = "no such agent") -> None:
        super().__init__(detail)


class NotAllowed(ServiceError):
    pass


class NotOwner(NotAllowed):
    pass


class Invalid(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class WrongStatus(Conflict):
    pass


class AtCapacity(Conflict):
    pass


class Stale(Conflict):
    pass


class CustomerWrote(Conflict):
    pass


class Unavailable(ServiceError):
    pass


class Upstream(ServiceError):
    pass
