"""Membership records: invitations, joining, stewards' approvals, leaving, removal, acting for.

* ``member.invite`` {key, role} — any member invites a key (invitation networks); role member or
  observer (stewards are made by the stewards' approval).
* ``member.join`` {invitation?} — the invitee accepts (invitation networks), or anyone joins an
  open network.
* ``member.approve`` {key, role, approvals} — k of the stewards approve a key (approval networks,
  and any network for the steward role); each approval is checked by ``approve.zen``.
* ``member.leave`` {} — a member leaves. ``member.remove`` {key, approvals} — k stewards remove one.
* ``member.grant`` {agent, organization, role} — the organisation (its own key, or a person it
  made a steward of it) lets a person act for it; ``member.ungrant`` {agent, organization} ends it.
  A grant is VF 0.x's AgentRelationship (subject: the person, object: the organisation).
"""

from __future__ import annotations

from typing import Any

from reflow.errors import AuthorisationError, ConflictError, NotFound, RuleViolation
from reflow.govern import state
from reflow.govern.zencontracts import approval_document, check_approvals, require_quorum
from reflow.identity.rotation import agent_of
from reflow.ledger.changes import Changes
from reflow.ledger.context import Context
from reflow.ledger.keys import verify_key

GRANT_ROLES = ("steward", "member")


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise RuleViolation(f"the body needs {key!r}", field=f"body.{key}", rule="required")
    return value


def _key(body: dict[str, Any], key: str) -> str:
    value = _text(body, key)
    try:
        verify_key(value)
    except Exception:
        raise RuleViolation(
            f"{key} is not an Ed25519 public key", field=f"body.{key}", rule="key"
        ) from None
    return value


def _role(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    role = body.get("role", "member")
    if role not in allowed:
        raise RuleViolation(
            f"role is one of {', '.join(allowed)}", field="body.role", rule="known-role"
        )
    return str(role)


def _policy(ctx: Context) -> tuple[str, Any]:
    net = state.genesis_of(ctx.view, ctx.record.network)
    return (str(net.data["policy"]) if net is not None else "open"), net


def _is_active(ctx: Context, agent: str) -> bool:
    m = state.membership(ctx.view, agent)
    return m is not None and m.data["status"] == "active"


def invite(ctx: Context) -> Changes:
    policy, _ = _policy(ctx)
    if policy != "invitation":
        raise RuleViolation(
            f"this network's membership is {policy!r}, not by invitation",
            field="kind",
            rule="membership-policy",
        )
    key = _key(ctx.record.body, "key")
    role = _role(ctx.record.body, ("member", "observer"))
    if _is_active(ctx, key):
        raise ConflictError("the key is already a member", field="body.key", rule="member-once")
    iid = ctx.id("invitation")
    inviter = agent_of(ctx.view, ctx.author)
    data = {"inviter": inviter, "invitee": key, "role": role, "status": "open"}
    changes = Changes(objects={iid: state.index_object(ctx, state.INVITATION, iid, data)})
    changes.rows.append(("govern_invitations", {"id": iid, **data, "record": ctx.record.hash}))
    changes.created["invitation"] = iid
    return changes


def join(ctx: Context) -> Changes:
    policy, _ = _policy(ctx)
    agent = agent_of(ctx.view, ctx.author)
    if _is_active(ctx, agent):
        raise ConflictError("already a member", field="author", rule="member-once")
    changes = Changes()
    m = state.membership(ctx.view, agent)
    if policy == "open" and m is not None and m.data["status"] == "removed":
        raise AuthorisationError(
            "a member the stewards removed cannot rejoin by itself",
            field="author",
            rule="removed-member",
        )
    if policy == "open":
        state.put_member(ctx, changes, agent, "member", "active", "open")
        return changes
    if policy != "invitation":
        raise RuleViolation(
            "in this network the stewards approve new members (member.approve)",
            field="kind",
            rule="membership-policy",
        )
    iid = _text(ctx.record.body, "invitation")
    inv = state.invitation(ctx.view, iid)
    if inv is None:
        raise NotFound(f"no invitation {iid!r}", field="body.invitation")
    if inv.data["invitee"] != agent:
        raise AuthorisationError(
            "the invitation is for another key", field="body.invitation", rule="invitee-joins"
        )
    if inv.data["status"] != "open":
        raise ConflictError(
            "the invitation was used", field="body.invitation", rule="invitation-once"
        )
    used = {**inv.data, "status": "used"}
    changes.objects[iid] = state.index_object(ctx, state.INVITATION, iid, used)
    changes.rows.append(("govern_invitations", {"id": iid, **used, "record": inv.record}))
    state.put_member(ctx, changes, agent, str(inv.data["role"]), "active", "invitation")
    return changes


def approve(ctx: Context) -> Changes:
    body = ctx.record.body
    key = _key(body, "key")
    role = _role(body, state.ROLES)
    policy, net = _policy(ctx)
    if net is None:
        raise RuleViolation("this network has no stewards", field="network", rule="governed")
    if policy != "approval" and role != "steward":
        raise RuleViolation(
            f"this network's membership is {policy!r}; approvals make stewards only",
            field="body.role",
            rule="membership-policy",
        )
    doc = approval_document(ctx.record.network, "member.approve", key, role)
    require_quorum(ctx, check_approvals(ctx, doc, body.get("approvals"), "body.approvals"), "body")
    changes = Changes()
    state.put_member(ctx, changes, key, role, "active", "approval")
    stewards = [s for s in net.data["stewards"] if s != key]
    state.put_stewards(ctx, changes, ctx.record.network, stewards + [key] * (role == "steward"))
    return changes


def _end(ctx: Context, agent: str, status: str) -> Changes:
    m = state.membership(ctx.view, agent)
    if m is None or m.data["status"] != "active":
        raise NotFound(f"{agent} is not a member", field="body.key", rule="member")
    changes = Changes()
    state.put_member(ctx, changes, agent, str(m.data["role"]), status, str(m.data["via"]))
    _, net = _policy(ctx)
    if net is not None and agent in net.data["stewards"]:
        rest = [s for s in net.data["stewards"] if s != agent]
        if len(rest) < int(net.data["k"]):
            raise RuleViolation(
                f"the network would keep fewer stewards than the {net.data['k']} it needs",
                field="body.key",
                rule="stewards-quorum",
            )
        state.put_stewards(ctx, changes, ctx.record.network, rest)
    return changes


def leave(ctx: Context) -> Changes:
    return _end(ctx, agent_of(ctx.view, ctx.author), "left")


def remove(ctx: Context) -> Changes:
    body = ctx.record.body
    key = _key(body, "key")
    doc = approval_document(ctx.record.network, "member.remove", key)
    require_quorum(ctx, check_approvals(ctx, doc, body.get("approvals"), "body.approvals"), "body")
    return _end(ctx, key, "removed")


def _may_grant(ctx: Context, organization: str) -> None:
    org = ctx.view.agent(organization)
    if org is None or org.type != "Organization":
        raise NotFound(f"no Organization {organization!r}", field="body.organization")
    signer = agent_of(ctx.view, ctx.author)
    if signer == organization:
        return
    held = state.acts_for(ctx.view, signer).get(organization)
    if held is None or held["status"] != "active" or held["role"] != "steward":
        raise AuthorisationError(
            "only the organisation or one of its stewards may grant acting for it",
            field="body.organization",
            rule="organization-grants",
        )


def _put_grant(ctx: Context, person: str, organization: str, role: str, status: str) -> Changes:
    grants = state.acts_for(ctx.view, person)
    grants[organization] = {"role": role, "status": status}
    oid = state.index_id(state.ACTS_FOR, person)
    data = {"agent": person, "grants": grants}
    changes = Changes(objects={oid: state.index_object(ctx, state.ACTS_FOR, oid, data)})
    changes.rows.append(
        ("govern_grants", {
            "agent": person, "organization": organization, "role": role, "status": status,
            "granted_by": agent_of(ctx.view, ctx.author), "record": ctx.record.hash,
        })
    )  # fmt: skip
    return changes


def grant(ctx: Context) -> Changes:
    body = ctx.record.body
    person, organization = _text(body, "agent"), _text(body, "organization")
    role = _role(body, GRANT_ROLES)
    if ctx.view.agent(person) is None:
        raise NotFound(f"no agent {person!r}", field="body.agent")
    _may_grant(ctx, organization)
    changes = _put_grant(ctx, person, organization, role, "active")
    changes.created["AgentRelationship"] = state.index_id("AgentRelationship", person, organization)
    return changes


def ungrant(ctx: Context) -> Changes:
    body = ctx.record.body
    person, organization = _text(body, "agent"), _text(body, "organization")
    held = state.acts_for(ctx.view, person).get(organization)
    if held is None or held["status"] != "active":
        raise NotFound("no such grant", field="body.agent", rule="grant")
    _may_grant(ctx, organization)
    return _put_grant(ctx, person, organization, held["role"], "revoked")
