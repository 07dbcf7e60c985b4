"""Registers the identity and governance record kinds, policies and acting resolvers.

Listed in ``reflow.plugins.SERVICE_MODULES`` so that every node judges these records alike.
"""

from __future__ import annotations

from reflow.govern import genesis, membership
from reflow.govern import policy as _policy  # noqa: F401  (registers the network rules)
from reflow.identity import rotation as _rotation  # noqa: F401  (registers key.rotate/revoke)
from reflow.ledger.kinds import register_kind

register_kind(
    "network.genesis",
    genesis.genesis,
    "found a network: its name, membership policy, stewards, roles and contracts",
    open_to_strangers=True,
)
register_kind("network.contract", genesis.attach_contract, "attach a Zencode contract to a kind")
register_kind("network.cosign", genesis.record_cosign, "a steward's co-signature of a record")
register_kind("member.invite", membership.invite, "invite a key to join the network")
register_kind("member.join", membership.join, "join the network (by invitation, or open)")
register_kind("member.approve", membership.approve, "k of n stewards admit a key")
register_kind("member.leave", membership.leave, "leave the network")
register_kind("member.remove", membership.remove, "k of n stewards remove a member")
register_kind("member.grant", membership.grant, "let a person act for an organisation")
register_kind("member.ungrant", membership.ungrant, "end a person's acting for an organisation")
