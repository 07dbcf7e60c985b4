"""GraphQL execution without the per-field machinery our resolvers do not need.

graphql-core runs every field through the same steps: build a ``GraphQLResolveInfo``, call the
resolver (the default one reads ``source[name]``), check whether the answer is awaitable, then
complete the value type by type. Most fields of a typical query are plain values of a node dict
(``id``, ``name``, ``hasNumericalValue``…), and no resolver of this API is asynchronous (reads
are short SQL on the event loop, writes run in a worker thread). So:

* nothing is awaitable (``never_awaitable``), which skips the check graphql-core makes for every
  value, list item and field map;
* a field that has no resolver of its own, whose type is a scalar or an enum, on a dict node, is
  read and serialised in place — no resolve info, no path, no completion chain — exactly as the
  default resolver and ``complete_leaf_value`` would. Anything unusual (a null in a non-null
  field, a value the scalar refuses) takes graphql-core's own path, so errors are its errors;
* such a field whose type is an object type (a ``Measure`` inside a resource) and whose value is
  a dict goes straight to its sub-selection, with graphql-core's own error handling around it.

Every other field (resolvers, objects, lists, abstract types) is executed by graphql-core.

What graphql-core works out from the document alone — the fields collected under each selection,
and which of them are plain leaves — is the same for every execution of a query without
directives (``@skip``/``@include`` may depend on the variables), so it is kept with the parsed
document (``SharedPlans``) and reused, as production servers reuse compiled queries. Results
are never reused: every request runs its resolvers against the store.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeGuard

from graphql import (
    BREAK,
    DocumentNode,
    Executor,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    Visitor,
    is_leaf_type,
    visit,
)
from graphql.pyutils import Path

# How to read a field without a resolver of its own: its name, its type without NonNull (a
# scalar, an enum or an object type), whether that is a leaf, whether it was NonNull, its type.
Plain = tuple[str, GraphQLLeafType | GraphQLObjectType, bool, bool, GraphQLOutputType]
# (response name, the field's details, how to read it plainly or None)
Plan = list[tuple[str, Any, Plain | None]]


def never_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """No resolver of this API returns an awaitable."""
    return False


class SharedPlans:
    """The collected fields and leaf plans of one document, shared by its executions.

    Keys hold ids of graphql-core's field lists; the values keep those lists alive, so an id is
    never reused while its entry exists. Only for documents without directives.
    """

    def __init__(self) -> None:
        self.root: dict[tuple[str, int], Any] = {}  # (root type, operation) -> field set
        self.subfields: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.plans: dict[tuple[str, int], tuple[Any, Plan]] = {}


def has_directives(document: DocumentNode) -> bool:
    """Whether any directive appears (then field collection may depend on the variables)."""
    finder = _DirectiveFinder()
    visit(document, finder)
    return finder.found


class _DirectiveFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, *_: object) -> Any:
        self.found = True
        return BREAK


class PlainExecutor(Executor):  # type: ignore[type-arg]
    """graphql-core's executor with the fast path for plain leaf fields of dict nodes."""

    def __init__(self, *args: Any, shared: SharedPlans | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared = shared
        # (parent type, id of a grouped field set) -> (the set, kept alive; its plan)
        self._plans: dict[tuple[str, int], tuple[Any, Plan]] = (
            shared.plans if shared is not None else {}
        )

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        new_defer_usages: Any,
    ) -> Any:
        if self._shared is not None:  # the same fields as last time: reuse what hangs off them
            key = (root_type.name, id(self.operation))  # the document keeps its operations
            grouped_field_set = self._shared.root.setdefault(key, grouped_field_set)
        return super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        if self._shared is None:
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type.name, id(field_details_list))
        hit = self._shared.subfields.get(key)
        if hit is not None:
            return hit[1]
        collected = super().collect_subfields(return_type, field_details_list)
        self._shared.subfields[key] = (field_details_list, collected)
        return collected

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan:
        key = (parent_type.name, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan: Plan = []
        for response_name, details in grouped_field_set.items():
            plain: Plain | None = None
            name = details[0].node.name.value
            field_def = self.schema.get_field(parent_type, name)
            if field_def is not None and field_def.resolve is None and not self.middleware_manager:
                field_type = field_def.type
                non_null = isinstance(field_type, GraphQLNonNull)
                inner = field_type.of_type if non_null else field_type
                if is_leaf_type(inner):
                    plain = (name, inner, True, non_null, field_type)
                elif isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
                    plain = (name, inner, False, non_null, field_type)
            plan.append((response_name, details, plain))
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if not isinstance(source_value, dict):
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        for response_name, details, plain in self._plan(parent_type, grouped_field_set):
            if plain is not None:
                name, of_type, leaf, non_null, field_type = plain
                value = source_value.get(name)
                if value is None:
                    if not non_null:
                        results[response_name] = None
                        continue
                elif leaf:
                    try:
                        coerced = of_type.coerce_output_value(value)  # type: ignore[union-attr]
                    except Exception:  # graphql-core's path below reports it
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        results[response_name] = coerced
                        continue
                elif isinstance(value, dict):
                    field_path = Path(path, response_name, parent_type.name)
                    try:
                        results[response_name] = self.collect_and_execute_subfields(
                            of_type,  # type: ignore[arg-type]
                            details,
                            field_path,
                            value,
                            position_context,
                        )
                    except Exception as raw_error:  # as execute_field handles it
                        self.handle_field_error(raw_error, field_type, details, field_path)
                        results[response_name] = None
                    continue
            result = self.execute_field(
                parent_type,
                source_value,
                details,
                Path(path, response_name, parent_type.name),
                position_context,
            )
            if result is not Undefined:
                results[response_name] = result
        return results
