"""Test support for governance: a ledger for a network founded by a genesis record."""

from __future__ import annotations

from typing import Any

from support import World

from reflow.govern.genesis import network_id_of
from reflow.govern.network import genesis_body
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.store.sqlstore import SqlStore


class Governed(World):
    """A World on a network with a genesis: founder and extra stewards declared as Persons."""

    def __init__(self, store: SqlStore, *, stewards: int = 0, **genesis: Any) -> None:
        self.founder_key = KeyPair.generate()
        self.steward_keys = [KeyPair.generate() for _ in range(stewards)]
        self.body = genesis_body(
            "Test city",
            founder=self.founder_key.public,
            stewards=[s.public for s in self.steward_keys],
            **genesis,
        )
        super().__init__(Ledger(store, network_id_of(self.body)))
        self.network = self.ledger.network
        self.submit(self.founder_key, "network.genesis", self.body)
        self.founder = self.declare(self.founder_key, "Founder")
        self.stewards = [self.declare(k, f"Steward {i}") for i, k in enumerate(self.steward_keys)]

    def declare(self, key: KeyPair, name: str, type_name: str = "Person") -> str:
        self.keys[key.public] = key
        self.submit(key, "agent.declare", {"type": type_name, "data": {"name": name}})
        return key.public

    def newcomer(self, name: str, type_name: str = "Person") -> str:
        """A declared agent that is not (yet) a member."""
        return self.declare(KeyPair.generate(), name, type_name)

    def invite_in(self, by: str, name: str, role: str = "member", type_name: str = "Person") -> str:
        """An agent that joined by invitation (invitation networks)."""
        agent = self.newcomer(name, type_name)
        inv = self.submit(self.keys[by], "member.invite", {"key": agent, "role": role})
        self.submit(self.keys[agent], "member.join", {"invitation": inv["invitation"]})
        return agent
