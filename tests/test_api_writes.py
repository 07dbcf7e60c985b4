"""Concurrent mutations share commits (group commit) without mixing up chains or verdicts.

Many agents write at once, some agents from several requests at once; every request gets its
own receipt only after its record is committed, each author's chain stays gapless, and a
refused record refuses only itself.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from api_support import Api, qty

from reflow.client import ApiError
from reflow.node import Node


def test_concurrent_mutations_are_each_committed_once(node: Node) -> None:
    api = Api(node)
    agents = [api.agent(f"agent {i}") for i in range(6)]
    spec = api.spec(agents[0], "wood")
    jobs = [agent for agent in agents for _ in range(4)]  # four requests per agent at once

    def raise_one(agent: str) -> str:
        out = api.event(agent, {"name": "plank"}, action="raise", provider=agent,
                        receiver=agent, resourceConformsTo=spec,
                        resourceQuantity=qty(1))  # fmt: skip
        resource: str = out["economicResource"]["id"]
        return resource

    def refused(agent: str) -> str:
        try:
            api.event(agent, action="lower", provider=agent, receiver=agent,
                      resourceInventoriedAs="no-such-resource",
                      resourceQuantity=qty(1))  # fmt: skip
        except ApiError as exc:
            return str(exc.code)
        return "accepted"

    with ThreadPoolExecutor(max_workers=12) as pool:
        made = list(pool.map(raise_one, jobs))
        bad = list(pool.map(refused, agents[:3]))
    assert len(set(made)) == len(jobs)
    assert bad == ["NOT_FOUND"] * 3
    for agent in agents:
        created_spec = 1 if agent == agents[0] else 0
        head = node.store.head(agent)
        assert head is not None and head[0] == 1 + created_spec + 4  # declare, spec?, 4 events
    total = api.client().query("{ economicResources { pageInfo { totalCount } } }")
    assert total["economicResources"]["pageInfo"]["totalCount"] == len(jobs)
