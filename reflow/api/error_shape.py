"""The one error shape of the API: ``{message, path?, extensions: {code, field?, rule?}}``.

ReflowOS errors keep their code, field and rule; GraphQL's own errors (syntax, validation,
input coercion) get a code of their own; anything unexpected is logged here and reaches the
client only as ``INTERNAL_ERROR``, never as a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from reflow.errors import ReflowError

log = logging.getLogger(__name__)


def reflow_error(exc: ReflowError, path: list[Any] | None = None) -> dict[str, Any]:
    ext = exc.as_dict()
    message = ext.pop("message")
    out: dict[str, Any] = {"message": message, "extensions": ext}
    if path:
        out["path"] = path
    return out


def graphql_error(err: GraphQLError, default_code: str = "BAD_REQUEST") -> dict[str, Any]:
    original = err.original_error
    path = list(err.path) if err.path else None
    if isinstance(original, ReflowError):
        shaped = reflow_error(original, path)
        if "field" not in shaped["extensions"] and path:
            shaped["extensions"]["field"] = ".".join(str(p) for p in path)
        return shaped
    if original is not None and not isinstance(original, GraphQLError):
        log.error("resolver failed at %s", path, exc_info=original)
        out: dict[str, Any] = {
            "message": "internal error",
            "extensions": {"code": "INTERNAL_ERROR"},
        }
        if path:
            out["path"] = path
        return out
    ext: dict[str, Any] = {"code": default_code}
    if path:
        ext["field"] = ".".join(str(p) for p in path)
    out = {"message": err.message, "extensions": ext}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if path:
        out["path"] = path
    return out


def error_body(code: str, message: str, **ext: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **ext}}]}
