"""The one exception hierarchy of ReflowOS.

    ReflowError
     ├── RuleViolation      a ValueFlows or network rule refuses the input
     │    └── UnitError     quantities in incompatible or unknown units
     ├── SignatureError     a signature or hash does not match
     ├── ChainError         seq/prev do not continue the author's chain
     ├── ConflictError      the input contradicts what is recorded (e.g. equivocation)
     ├── NotFound           a referenced object does not exist
     ├── AuthorisationError the signer may not do this
     └── StoreError         the database failed (translated at the store boundary)

Every error keeps a stable ``code`` and, where it applies, the ``field`` that is wrong, so the
CLI, the API and replication can all report it the same way.
"""

from __future__ import annotations


class ReflowError(Exception):
    """Base of every error ReflowOS raises on purpose."""

    code = "REFLOW_ERROR"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule

    def as_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.rule:
            out["rule"] = self.rule
        return out

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.message}{where}"


class RuleViolation(ReflowError):
    code = "RULE_VIOLATION"


class UnitError(RuleViolation):
    code = "UNIT_ERROR"


class SignatureError(ReflowError):
    code = "BAD_SIGNATURE"


class ChainError(ReflowError):
    code = "BAD_CHAIN"


class ConflictError(ReflowError):
    code = "CONFLICT"


class NotFound(ReflowError):
    code = "NOT_FOUND"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message, field=field, rule=rule or "must-exist")


class AuthorisationError(ReflowError):
    code = "FORBIDDEN"


class StoreError(ReflowError):
    code = "STORE_ERROR"


class StaleStateError(StoreError):
    """Another writer appended to the log since this process read it; judge the batch again."""

    code = "STALE_STATE"
