"""Identity and governance commands: keygen, network create/show, invite, join, approve, grant,
members, rotate-key, revoke-key.

Each parses its arguments, calls ``reflow.govern.network`` (or submits one record) and renders the
answer; a refused record prints its field and rule and exits with status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reflow.cli.ledger_commands import AsAgent, Passphrase, opened
from reflow.cli.node_commands import AsJson, DataDir, DbUrl, settings_from
from reflow.cli.output import console, fail
from reflow.errors import ReflowError, RuleViolation
from reflow.govern import network as gov
from reflow.identity.did import did_dyne, did_key
from reflow.identity.keystore import Keystore
from reflow.ledger.keys import KeyPair

Role = Annotated[str, typer.Option("--role", help="steward, member or observer")]


def _show(out: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(out))
    else:
        console.print(text)


def _load_json(path: Path, where: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleViolation(f"cannot read {path}: {exc}", field=where, rule="file") from None


def keygen(
    data_dir: DataDir = None,
    label: Annotated[str | None, typer.Option(help="a name for the key")] = None,
    zencode: Annotated[bool, typer.Option("--zencode", help="made by keygen.zen")] = False,
    passphrase: Passphrase = None,
    as_json: AsJson = False,
) -> None:
    """Make an Ed25519 key in this node's keystore; print its public key and DIDs."""
    settings = settings_from(data_dir, None)
    key = Keystore(settings.data_dir / "keys").create(label, passphrase, zencode=zencode)
    out = {"public": key.public, "did_key": did_key(key.public), "did_dyne": did_dyne(key.public)}
    _show(out, as_json, f"{key.public}\n{out['did_key']}\n{out['did_dyne']}")


def network_create(
    name: Annotated[str, typer.Option("--name", help="the network's name")],
    description: Annotated[str, typer.Option(help="what the network is for")] = "",
    policy: Annotated[str, typer.Option(help="open, invitation or approval")] = "open",
    k: Annotated[int, typer.Option("--k", help="stewards needed to approve")] = 1,
    steward: Annotated[list[str] | None, typer.Option(help="a steward's key (repeat)")] = None,
    founder: Annotated[str, typer.Option(help="the founder's name")] = "founder",
    cosign_over_kg: Annotated[
        str | None, typer.Option(help="transfers over this many kg need a steward's cosign")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the genesis record")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Found a network: a new node whose founder signs the genesis record."""
    settings = settings_from(data_dir, db)
    contracts = [gov.heavy_transfer_contract(cosign_over_kg)] if cosign_over_kg else None
    try:
        node, rec = gov.create_network(
            settings, founder_name=founder, name=name, description=description, policy=policy,
            k=k, stewards=steward or [], contracts=contracts,
        )  # fmt: skip
    except ReflowError as err:
        fail(err, as_json)
    path = out or settings.data_dir / "genesis.json"
    path.write_text(json.dumps(rec.to_dict(), indent=2))
    node.close()
    result = {"network": rec.network, "founder": rec.author, "genesis": str(path)}
    _show(result, as_json, f"network {escape(name)} ({rec.network[:16]}…); genesis in {path}")


def network_show(data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False) -> None:
    """The network's genesis settings: policy, k, stewards, roles, contracts."""
    with opened(data_dir, db, as_json) as node:
        info = gov.network_info(node.store)
    if info is None:
        info = {"policy": "open", "note": "no genesis record: the network is open"}
        _show(info, as_json, info["note"])
        return
    contracts = ", ".join(f"{c['name']} on {c['kind']}" for c in info.get("contracts", []))
    _show(
        info,
        as_json,
        f"[bold]{escape(info['name'])}[/] {info['id']}\n"
        f"membership: {info['policy']}, {info['k']} of {len(info.get('stewards', []))} stewards\n"
        f"stewards: {', '.join(info.get('stewards', []))}\n"
        f"contracts: {escape(contracts) or 'none'}",
    )


def invite(
    key: Annotated[str, typer.Argument(help="public key of the invitee")],
    as_agent: AsAgent,
    role: Role = "member",
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Invite a key to join (invitation networks); prints the invitation id."""
    with opened(data_dir, db, as_json) as node:
        r = node.submit(node.key(as_agent, passphrase), "member.invite", {"key": key, "role": role})
    _show(r.as_dict(), as_json, f"invitation {r.created['invitation']}")


def join(
    genesis: Annotated[Path, typer.Argument(help="the network's genesis.json")],
    as_agent: Annotated[str | None, typer.Option("--as", help="key to join with")] = None,
    name: Annotated[str | None, typer.Option(help="declare the agent with this name")] = None,
    invitation: Annotated[str | None, typer.Option(help="the invitation id")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Make this node a node of an existing network; with --as, the key also joins it."""
    try:
        node = gov.join_network(settings_from(data_dir, db), gov.read_genesis(genesis))
        try:
            if as_agent is not None:
                key = node.key(as_agent)
                if name is not None:
                    node.submit(key, "agent.declare", {"type": "Person", "data": {"name": name}})
                body = {"invitation": invitation} if invitation else {}
                node.submit(key, "member.join", body, deps=gov.invitation_deps(node, invitation))
            out = node.info.as_dict()
        finally:
            node.close()
    except ReflowError as err:
        fail(err, as_json)
    _show(out, as_json, f"joined network {escape(out['network_name'])} ({out['network'][:16]}…)")


def approve(
    key: Annotated[str, typer.Argument(help="the key to approve (or remove)")],
    as_agent: AsAgent,
    role: Role = "member",
    remove: Annotated[bool, typer.Option("--remove", help="approve a removal")] = False,
    sign_only: Annotated[
        bool, typer.Option("--sign-only", help="print this steward's approval, record nothing")
    ] = False,
    with_: Annotated[
        list[Path] | None, typer.Option("--with", help="another steward's approval file")
    ] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """A steward approves a key (k of n): sign only, or record it with the others' approvals."""
    action = "member.remove" if remove else "member.approve"
    with opened(data_dir, db, as_json) as node:
        signer = node.key(as_agent, passphrase)
        if sign_only:
            approval = gov.sign_approval(
                signer, node.info.network, action, key, "" if remove else role
            )
            print(json.dumps(approval))
            return
        approvals = [_load_json(p, "--with") for p in with_ or []]
        body: dict[str, Any] = {"key": key, "approvals": approvals}
        if not remove:
            body["role"] = role
        r = node.submit(signer, action, body)
    _show(r.as_dict(), as_json, f"{action} of {key} recorded")


def grant(
    person: Annotated[str, typer.Argument(help="the person who may act")],
    acts_for: Annotated[str, typer.Option("--acts-for", help="the organisation")],
    as_agent: AsAgent,
    role: Annotated[str, typer.Option(help="member or steward of the organisation")] = "member",
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Let a person record events for an organisation (signed by it or one of its stewards)."""
    body = {"agent": person, "organization": acts_for, "role": role}
    with opened(data_dir, db, as_json) as node:
        r = node.submit(node.key(as_agent, passphrase), "member.grant", body)
    _show(r.as_dict(), as_json, f"{person} may act for {acts_for}")


def rotate_key(
    as_agent: AsAgent,
    agent: Annotated[str | None, typer.Option(help="the agent the key signs for")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Bind a new key to the agent; the signing key is retired."""
    with opened(data_dir, db, as_json) as node:
        old = node.key(as_agent, passphrase)
        new = node.keystore.create(label=node.keystore.label(as_agent), passphrase=passphrase)
        body = gov.rotation_body(
            old, new, node.info.network, agent or gov.agent_of_key(node.store, as_agent)
        )
        r = node.submit(old, "key.rotate", body)
    _show(r.as_dict() | {"new_key": new.public}, as_json, f"new key {new.public}")


def revoke_key(
    key: Annotated[str, typer.Argument(help="the key to revoke")],
    as_agent: AsAgent,
    reason: Annotated[str, typer.Option(help="why")] = "",
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Revoke one of the agent's keys: its later records are refused everywhere."""
    with opened(data_dir, db, as_json) as node:
        signer: KeyPair = node.key(as_agent, passphrase)
        r = node.submit(signer, "key.revoke", {"key": key, "reason": reason})
    _show(r.as_dict(), as_json, f"key {key} revoked")


def members_cmd(
    include_inactive: Annotated[bool, typer.Option("--all", help="also who left")] = False,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """The network's members with role and status."""
    with opened(data_dir, db, as_json) as node:
        rows = gov.members(node.store, include_inactive=include_inactive)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("agent", "name", "role", "status", "via")
    for m in rows:
        table.add_row(m["agent"], escape(str(m["name"] or "")), m["role"], m["status"], m["via"])
    console.print(table)


def register(app: typer.Typer) -> None:
    network_app = typer.Typer(no_args_is_help=True, help="found or inspect a network")
    network_app.command(name="create")(network_create)
    network_app.command(name="show")(network_show)
    app.add_typer(network_app, name="network")
    app.command(name="keygen")(keygen)
    app.command(name="invite")(invite)
    app.command(name="join")(join)
    app.command(name="approve")(approve)
    app.command(name="grant")(grant)
    app.command(name="members")(members_cmd)
    app.command(name="rotate-key")(rotate_key)
    app.command(name="revoke-key")(revoke_key)
