"""Limits that keep one request from costing the node too much.

Depth and complexity are measured on the parsed document before it runs (fragments expanded,
each field counted once per place it appears), page sizes when a connection is resolved, and
the body size before it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    visit,
)

from reflow.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 512 * 1024
    max_depth: int = 15
    max_fields: int = 1000
    max_page: int = 100
    default_page: int = 50


LIMITS = Limits()


class _NulFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if _bad_text(node.value):
            self.found = True


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800")
        return True
    return False


def has_nul(value: object) -> bool:
    """Whether a JSON value holds text no database can store: NUL, or lone surrogates."""
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def no_nul(where: str) -> RuleViolation:
    return RuleViolation(
        "text may not contain NUL characters or lone surrogates", field=where, rule="valid-text"
    )


def check_document(document: DocumentNode, limits: Limits = LIMITS) -> None:
    """Raise if an operation nests deeper or selects more fields than the limits allow."""
    finder = _NulFinder()
    visit(document, finder)
    if finder.found:
        raise no_nul("query")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        counter = [0]
        depth = _measure(op.selection_set, fragments, counter, limits, 0, frozenset())
        if depth > limits.max_depth:
            raise RuleViolation(
                f"the query nests {depth} levels deep; at most {limits.max_depth}",
                field="query",
                rule="max-depth",
            )


def _measure(
    selection: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    counter: list[int],
    limits: Limits,
    depth: int,
    seen: frozenset[str],
) -> int:
    if selection is None:
        return depth
    deepest = depth
    for node in selection.selections:
        if isinstance(node, FieldNode):
            counter[0] += 1
            if counter[0] > limits.max_fields:
                raise RuleViolation(
                    f"the query selects more than {limits.max_fields} fields",
                    field="query",
                    rule="max-complexity",
                )
            sub = node.selection_set
            d = _measure(sub, fragments, counter, limits, depth + 1, seen) if sub else depth + 1
        elif isinstance(node, InlineFragmentNode):
            d = _measure(node.selection_set, fragments, counter, limits, depth, seen)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            frag = fragments.get(name)
            if frag is None or name in seen:
                continue  # unknown or cyclic spreads are refused by validation
            d = _measure(frag.selection_set, fragments, counter, limits, depth, seen | {name})
        else:  # pragma: no cover - graphql has no other selection kinds
            continue
        deepest = max(deepest, d)
        if deepest > limits.max_depth:
            return deepest
    return deepest


def page_size(first: int | None, last: int | None, limits: Limits = LIMITS) -> int:
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= limits.max_page:
            raise RuleViolation(
                f"{name} must be between 0 and {limits.max_page}", field=name, rule="page-size"
            )
    if first is not None and last is not None:
        raise RuleViolation("give first or last, not both", field="last", rule="page-direction")
    size = first if first is not None else last
    return limits.default_page if size is None else size
