"""Verified identities (the host page's `widget.identify()`).

The page's backend computes `userHash = HMAC-SHA256(identitySecret, userId)` (hex) with the agent's
identity secret; the server recomputes it and compares in constant time. Without that check anyone
could claim to be anyone and read their conversations on "another device". An identity without a
`userHash` is refused unless the agent allows unverified identities.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from widget.server.agents.tables import Agent
from widget.server.chat.schemas import IdentityIn
from widget.server.core.errors import ApiError

HOW = "compute it on your server as hex HMAC-SHA256(the agent's identity secret, userId)"


def new_identity_secret() -> str:
    return f"idsec_{secrets.token_urlsafe(32)}"


def identity_secret(agent: Agent) -> str:
    """The agent's identity secret, made now if it has none (the caller commits)."""
    if not agent.identity_secret:
        agent.identity_secret = new_identity_secret()
    return agent.identity_secret


def user_hash(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verified_user_id(agent: Agent, identity: IdentityIn) -> str:
    """`identity.user_id` once verified for `agent`; raises a 403 `ApiError` saying why not."""
    if identity.user_hash is None:
        if agent.allow_unverified_identity:
            return identity.user_id
        raise ApiError(
            403,
            "identity_unverified",
            f"identify() needs a userHash for userId {identity.user_id!r}: {HOW}. (The agent "
            "refuses unverified identities; allowUnverifiedIdentity changes that.)",
        )
    expected = user_hash(identity_secret(agent), identity.user_id)
    if not hmac.compare_digest(expected.encode(), identity.user_hash.lower().encode()):
        raise ApiError(
            403,
            "identity_refused",
            f"The userHash does not match userId {identity.user_id!r}: {HOW}.",
        )
    return identity.user_id
