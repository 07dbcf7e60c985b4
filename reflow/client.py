"""A small GraphQL client for a ReflowOS node that signs its requests.

    client = Client("http://127.0.0.1:8000", key)
    data = client.query("{ economicResources { edges { node { id } } } }")

Every request body is signed with the agent's Ed25519 key (``x-reflow-agent`` and
``x-reflow-signature``), so mutations are accepted as that agent. Without a key, only open
reads work. ``http`` lets tests and tools pass their own ``httpx.Client`` (for example a
Starlette ``TestClient`` over the ASGI app).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from reflow.api.auth import sign_headers
from reflow.ledger.keys import KeyPair
from reflow.ledger.records import Record, sign_record

__all__ = ["ApiError", "Client"]


class ApiError(Exception):
    """The node answered with errors; ``errors`` keeps them as sent (code, field, rule)."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        first = errors[0] if errors else {}
        super().__init__(f"{status}: {first.get('message', 'error')} {first.get('extensions', {})}")
        self.status = status
        self.errors = errors

    @property
    def code(self) -> str | None:
        return self.errors[0].get("extensions", {}).get("code") if self.errors else None


class Client:
    def __init__(
        self,
        url: str,
        key: KeyPair | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.http = http or httpx.Client(timeout=timeout)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, operation: str | None = None
    ) -> httpx.Response:
        """Send one signed GraphQL request; the raw response."""
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation:
            payload["operationName"] = operation
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"content-type": "application/json"}
        if self.key is not None:
            headers.update(sign_headers(self.key, body))
        return self.http.post(f"{self.url}/api", content=body, headers=headers)

    def query(
        self, query: str, variables: dict[str, Any] | None = None, operation: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of the answer; raises ApiError if the node answered with errors."""
        response = self.post(query, variables, operation)
        try:
            out = response.json()
        except ValueError:
            raise ApiError(response.status_code, [{"message": response.text}]) from None
        if out.get("errors"):
            raise ApiError(response.status_code, out["errors"])
        data: dict[str, Any] = out["data"]
        return data

    def submit_record(self, record: Record | dict[str, Any]) -> dict[str, Any]:
        """Send a record the client signed itself; the receipt."""
        rec = record.to_dict() if isinstance(record, Record) else record
        q = "mutation($r: JSON!) { submitRecord(record: $r) { hash status created } }"
        receipt: dict[str, Any] = self.query(q, {"r": rec})["submitRecord"]
        return receipt

    def sign_and_submit(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Sign a record with the client's own key after the chain's head on the node, and
        submit it; the receipt. (The node may have written to the chain under a delegation.)"""
        if self.key is None:
            raise ValueError("a client without a key cannot sign records")
        q = "query($a: ID!) { chainHead(author: $a) { seq hash } instanceVariables { network } }"
        out = self.query(q, {"a": self.key.public})
        head = out["chainHead"]
        record = sign_record(
            self.key, network=out["instanceVariables"]["network"],
            seq=head["seq"] + 1 if head else 1, prev=head["hash"] if head else None,
            kind=kind, body=body,
        )  # fmt: skip
        return self.submit_record(record)

    def delegate(
        self, node_key: str, kinds: list[str], expires: str | None = None
    ) -> dict[str, Any]:
        """Let ``node_key`` write records of ``kinds`` in this agent's chain (until
        ``expires``), so that the node accepts this client's signed mutations."""
        body: dict[str, Any] = {"key": node_key, "kinds": kinds}
        if expires is not None:
            body["expires"] = expires
        return self.sign_and_submit("delegation.grant", body)

    def close(self) -> None:
        self.http.close()
