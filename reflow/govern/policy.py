"""The network's rules, checked by ``Ledger.append`` before every record, on every node.

Active only on a network whose genesis this node holds: a network without a genesis record
behaves as "open" (anyone declared may record anything the VF rules allow). On a governed network
a record is refused, with the rule named, when:

* ``member-only`` — its author is not an active member (open networks: anyone not removed);
  declaring oneself, joining, being approved and managing one's keys are open to non-members;
* ``role-permits`` — its kind is beyond the author's role (observers record no events and create
  no objects; only stewards attach contracts), as the genesis' ``roles`` say;
* ``acts-for-grant`` — an event names an organisation as a party and the signer neither is a
  party nor holds a grant to act for one;
* ``contract:<name>`` — a Zencode contract the network attached to the kind refuses it.

Who a signer acts for is resolved for every network (``acting_for_orgs``): the organisations
that granted it acting, through its own key or the agent its key is bound to.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from reflow.errors import AuthorisationError, RuleViolation
from reflow.govern import state
from reflow.govern.zencontracts import run_attached
from reflow.identity.rotation import agent_of
from reflow.ledger.context import BatchView, Context
from reflow.ledger.judging import ACTING_RESOLVERS
from reflow.ledger.kinds import register_policy

OPEN_TO_NON_MEMBERS = frozenset(
    {"network.genesis", "agent.declare", "member.join", "member.approve", "key.rotate",
     "key.revoke"}
)  # fmt: skip


def role_permits(roles: dict[str, Any], role: str, kind: str) -> bool:
    rule = roles.get(role, {})
    may = rule.get("may", [])
    never = rule.get("not", [])
    return any(fnmatchcase(kind, p) for p in may) and not any(fnmatchcase(kind, p) for p in never)


def governance_policy(ctx: Context) -> None:
    rec = ctx.record
    net = state.genesis_of(ctx.view, rec.network)
    if net is None or rec.kind == "network.genesis":
        return
    agent = agent_of(ctx.view, ctx.author)
    m = state.membership(ctx.view, agent)
    status = m.data["status"] if m is not None else None
    if status == "active":
        role = str(m.data["role"])  # type: ignore[union-attr]
    elif rec.kind in OPEN_TO_NON_MEMBERS:
        return
    elif status is None and net.data["policy"] == "open":
        role = "member"
    else:
        why = f"it {status} the network" if status in ("left", "removed") else "not a member"
        if status == "removed":
            why = "it was removed from the network"
        raise RuleViolation(
            f"{agent} may not record in network {net.data['name']!r}: {why}",
            field="author",
            rule="member-only",
        )
    if not role_permits(net.data["roles"], role, rec.kind):
        raise AuthorisationError(
            f"a {role} may not record {rec.kind}", field="kind", rule="role-permits"
        )
    if rec.kind == "vf.event":
        _check_acts_for(ctx)
    if net.data.get("contracts"):
        run_attached(ctx, net.data)


def _check_acts_for(ctx: Context) -> None:
    event = ctx.record.body.get("event")
    if not isinstance(event, dict):
        return
    parties = {p for p in (event.get("provider"), event.get("receiver")) if isinstance(p, str)}
    if parties & ctx.acting:
        return
    for key in ("provider", "receiver"):
        party = event.get(key)
        obj = ctx.view.agent(party) if isinstance(party, str) else None
        if obj is not None and obj.type == "Organization":
            raise AuthorisationError(
                f"{ctx.author} holds no grant to act for the organisation {party}",
                field=f"event.{key}",
                rule="acts-for-grant",
            )


def acting_for_orgs(view: BatchView, author: str) -> list[str]:
    """Organisations whose active grant lets the author (or the agent of its key) act for them."""
    agents = {author, agent_of(view, author)}
    out: list[str] = []
    for agent in sorted(agents):
        for org, grant in state.acts_for(view, agent).items():
            if grant["status"] == "active":
                out.append(org)
    return out


register_policy("govern.network-rules", governance_policy)
if acting_for_orgs not in ACTING_RESOLVERS:
    ACTING_RESOLVERS.append(acting_for_orgs)
