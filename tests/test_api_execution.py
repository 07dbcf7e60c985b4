"""The API's executor answers exactly as graphql-core's, values and errors alike.

It reads plain leaf fields of dict nodes in place and reuses what graphql-core collects from a
document across its executions; these tests run the same documents through both executors and
compare whole results (data, error messages, paths), including the cases the fast path hands
back to graphql-core: nulls in non-null fields, values a scalar refuses, directives that depend
on the variables.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, qty
from graphql import ExecutionResult, build_schema, execute, parse

from reflow.api.context import RequestContext
from reflow.api.execution import PlainExecutor, SharedPlans, has_directives, never_awaitable
from reflow.api.loaders import Loaders
from reflow.api.schema import build_schema as api_schema
from reflow.node import Node

TOY = build_schema("""
  enum Color { RED GREEN }
  type Item {
    id: ID! name: String n: Int color: Color tags: [String] child: Item must: Item!
  }
  type Query { item: Item items: [Item!] }
""")


def both(schema: Any, query: str, root: Any = None, variables: Any = None,
         context: Any = None) -> tuple[ExecutionResult, ExecutionResult]:  # fmt: skip
    """The default executor's result, and ours (run twice: the second reuses the plans)."""
    doc = parse(query)
    shared = None if has_directives(doc) else SharedPlans()
    results = []
    for ours in (False, True, True):
        ctx = context() if context else None
        extra = {"executor_class": PlainExecutor, "is_awaitable": never_awaitable,
                 "shared": shared} if ours else {}  # fmt: skip
        try:
            results.append(execute(schema, doc, root, ctx, variables, **extra))
        finally:
            if ctx is not None:
                ctx.loaders.close()
    expected, first, again = results
    assert isinstance(expected, ExecutionResult) and isinstance(again, ExecutionResult)
    same(first, again)  # type: ignore[arg-type]
    return expected, again


def same(a: ExecutionResult, b: ExecutionResult) -> None:
    assert a.data == b.data
    assert [(e.message, e.path) for e in a.errors or []] == [
        (e.message, e.path) for e in b.errors or []
    ]


@pytest.mark.parametrize(
    ("query", "root"),
    [
        ("{ item { id name n color } }",
         {"item": {"id": "1", "name": "a", "n": 3, "color": "RED"}}),
        ("{ item { x: name y: name id } }", {"item": {"id": "1", "name": "a"}}),
        ("{ item { id name } }", {"item": {"id": None, "name": "a"}}),  # null in a non-null
        ("{ item { id n } }", {"item": {"id": "1", "n": "many"}}),  # Int refuses it
        ("{ item { id color } }", {"item": {"id": "1", "color": "BLUE"}}),  # not in the enum
        ("{ item { id tags child { id name } } }",
         {"item": {"id": "1", "tags": ["a", None], "child": {"id": "2", "name": None}}}),
        ("{ items { id name } }", {"items": [{"id": "1"}, {"id": None}, {"id": "3"}]}),
        ("{ item { id child { id } } }", {"item": {"id": "1", "child": {"id": None}}}),
        ("{ item { id must { id } } }", {"item": {"id": "1", "must": {"id": None}}}),
        ("{ item { id must { id } } }", {"item": {"id": "1", "must": None}}),
        ("{ item { id child { id } } }", {"item": {"id": "1", "child": "not an object"}}),
        ("{ item { id ... on Item { name } ...F } } fragment F on Item { n }",
         {"item": {"id": "1", "name": "a", "n": 2}}),
        ("{ item { id __typename } }", {"item": {"id": "1"}}),
    ],
)  # fmt: skip
def test_plain_values_and_their_errors_match_graphql_core(query: str, root: Any) -> None:
    same(*both(TOY, query, root))


@pytest.mark.parametrize("show", [True, False])
def test_directives_that_depend_on_the_variables_are_not_shared(show: bool) -> None:
    query = "query($s: Boolean!) { item { id name @include(if: $s) } }"
    root = {"item": {"id": "1", "name": "a"}}
    assert has_directives(parse(query))
    expected, ours = both(TOY, query, root, {"s": show})
    same(expected, ours)
    assert ("name" in ours.data["item"]) is show  # type: ignore[index]


def test_a_typical_api_query_answers_the_same(node: Node) -> None:
    api = Api(node)
    anna = api.agent("Anna")
    wood = api.spec(anna, "wood")
    yard = api.place(anna, "yard")
    api.event(anna, {"name": "planks", "currentLocation": yard}, action="raise", provider=anna,
              receiver=anna, resourceConformsTo=wood, resourceQuantity=qty(4))  # fmt: skip
    query = """{ economicResources { edges { cursor node { id name
      accountingQuantity { hasNumericalValue hasUnit { id label symbol } }
      conformsTo { id name } currentLocation { id name lat long } primaryAccountable { name }
    } } pageInfo { totalCount hasNextPage } } units(first: 2) { edges { node { id label } } } }"""

    def context() -> RequestContext:
        return RequestContext(node, None, Loaders(node.store.engine))

    expected, ours = both(api_schema(), query, context=context)
    same(expected, ours)
    assert ours.data["economicResources"]["pageInfo"]["totalCount"] == 1  # type: ignore[index]
