"""The custom GraphQL scalars: exact decimals as strings, date-times, URIs and JSON.

Decimals are sent as strings because a JSON number passes through a float in most clients and a
float can lose a gram; numbers are still accepted on input and converted through ``str`` so that
``12.5`` becomes exactly ``"12.5"`` in the signed record.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ariadne import ScalarType

from reflow.errors import RuleViolation
from reflow.vf.units import plain_decimal

# No quantity needs more; without a bound, "1e999999" would expand to a million digits.
MAX_EXPONENT = 40
MAX_DIGITS = 60

decimal_scalar = ScalarType("Decimal")
datetime_scalar = ScalarType("DateTime")
uri_scalar = ScalarType("URI")
json_scalar = ScalarType("JSON")
anytype_scalar = ScalarType("AnyType")


@decimal_scalar.serializer
def serialize_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(plain_decimal(value), "f")
    return str(value)


@decimal_scalar.value_parser
def parse_decimal(value: Any) -> str:
    """Accept "12.5", 12.5 or 12 and give back the exact decimal text."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RuleViolation("a decimal must be a string or a number", rule="decimal")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RuleViolation(f"{value!r} is not a decimal number", rule="decimal") from None
    if not number.is_finite():
        raise RuleViolation("a decimal must be finite", rule="decimal")
    if number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise RuleViolation(
            f"a decimal must be between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}", rule="decimal"
        )
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise RuleViolation(f"a decimal has at most {MAX_DIGITS} digits", rule="decimal")
    return format(plain_decimal(number), "f")


@datetime_scalar.value_parser
def parse_datetime(value: Any) -> str:
    if not isinstance(value, str):
        raise RuleViolation("a date-time must be an ISO 8601 string", rule="datetime")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(f"{value!r} is not an ISO 8601 date-time", rule="datetime") from None
    return value


@uri_scalar.value_parser
def parse_uri(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleViolation("a URI must be a non-empty string", rule="uri")
    return value


@anytype_scalar.value_parser
def parse_anytype(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleViolation("a reference must be a non-empty id", rule="id")
    return value


SCALARS = [decimal_scalar, datetime_scalar, uri_scalar, json_scalar, anytype_scalar]
