"""The ASGI application: GraphQL at ``/api`` and the node's plain HTTP endpoints.

Routes are listed in one place and passed to the constructor. A GraphQL request is read with a
size limit, its signature checked against the raw bytes, its document parsed, limited and
validated once per distinct query text (cached), and executed with one set of loaders. Reads run
on the event loop (they are short SQL reads); writes run in a worker thread.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from reflow.api.auth import (
    Unauthenticated,
    request_signature,
    request_signer,
    require_signer,
)
from reflow.api.context import RequestContext
from reflow.api.error_shape import error_body, graphql_error, reflow_error
from reflow.api.execution import PlainExecutor, SharedPlans, has_directives, never_awaitable
from reflow.api.limits import LIMITS, Limits, check_document, has_nul, no_nul
from reflow.api.loaders import Loaders
from reflow.api.nodes import unit_node
from reflow.api.schema import build_schema, type_defs
from reflow.api.writer import GroupWriter
from reflow.errors import ReflowError
from reflow.node import Node

DOCUMENT_CACHE_SIZE = 512
RESULT_CACHE_BYTES = 32 * 1024 * 1024  # all cached answers together
RESULT_CACHE_MAX_BYTES = 64 * 1024  # one answer


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query parsed, limited and validated once, with what its executions share."""

    doc: DocumentNode
    shared: SharedPlans | None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    """Every JSON answer of the app (GraphQL and the plain endpoints alike) through orjson;
    what orjson cannot encode (integers beyond 64 bits) through the standard library."""
    try:
        content = orjson.dumps(body)
    except TypeError:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type="application/json")


def _parse(body: bytes) -> Any:
    """The request's JSON: orjson, or the standard library for what only it accepts (lone
    surrogates, NaN, huge integers), so that those get the same answers as before."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class GraphQLEndpoint:
    def __init__(self, node: Node, limits: Limits, metrics: Metrics) -> None:
        self.node = node
        self.limits = limits
        self.metrics = metrics
        self.schema = build_schema()
        self.writer = GroupWriter(node)
        self.documents: OrderedDict[str, Prepared | dict[str, Any]] = OrderedDict()
        # Answers to reads, tagged with the log position they were computed at. The
        # projections change only when the log grows, so an answer is still exact while the
        # position is the same; one cheap read of the position validates it.
        self.results: OrderedDict[tuple[str, ...], tuple[int, bytes]] = OrderedDict()
        self.result_bytes = 0

    def log_position(self) -> int:
        with self.node.store.engine.connect() as conn:
            pos = conn.exec_driver_sql("SELECT max(pos) FROM records").scalar()
        return int(pos or 0)

    def document(self, query: str) -> Prepared | dict[str, Any]:
        """The parsed, limited and validated document, or the error body (both cached)."""
        cached = self.documents.get(query)
        if cached is not None:
            self.documents.move_to_end(query)
            return cached
        try:
            doc = parse(query)
            check_document(doc, self.limits)
            errors = validate(self.schema, doc)
            result: Prepared | dict[str, Any] = (
                {"errors": [graphql_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]}
                if errors
                else Prepared(doc, None if has_directives(doc) else SharedPlans())
            )
        except GraphQLError as err:
            result = {"errors": [graphql_error(err, "GRAPHQL_PARSE_FAILED")]}
        except ReflowError as exc:
            result = {"errors": [reflow_error(exc)]}
        self.documents[query] = result
        if len(self.documents) > DOCUMENT_CACHE_SIZE:
            self.documents.popitem(last=False)
        return result

    def remember(self, key: tuple[str, ...], position: int, body: bytes) -> None:
        old = self.results.pop(key, None)
        if old is not None:
            self.result_bytes -= len(old[1])
        self.results[key] = (position, body)
        self.result_bytes += len(body)
        while self.result_bytes > RESULT_CACHE_BYTES:
            _, (_, dropped) = self.results.popitem(last=False)
            self.result_bytes -= len(dropped)

    async def endpoint(self, request: Request) -> Response:
        start = time.perf_counter()
        response = await self.handle(request)
        self.metrics.observe("graphql", response.status_code, time.perf_counter() - start)
        return response

    async def handle(self, request: Request) -> Response:
        try:
            body = await read_body(request, self.limits.max_body_bytes)
        except BodyTooLarge:
            msg = f"the body is larger than {self.limits.max_body_bytes} bytes"
            return _json(error_body("BODY_TOO_LARGE", msg, rule="max-body"), 413)
        try:
            payload = _parse(body)
        except (ValueError, UnicodeDecodeError):
            return _json(error_body("BAD_REQUEST", "the body is not JSON", rule="json"), 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            msg = 'the body must be {"query": "...", "variables": {...}}'
            return _json(error_body("BAD_REQUEST", msg, field="query", rule="graphql-request"), 400)
        variables = payload.get("variables") or {}
        op_name = payload.get("operationName")
        if not isinstance(variables, dict) or not isinstance(op_name, str | None):
            msg = "variables must be an object and operationName a string"
            body_ = error_body("BAD_REQUEST", msg, field="variables", rule="graphql-request")
            return _json(body_, 400)
        if has_nul(variables):
            return _json({"errors": [reflow_error(no_nul("variables"))]}, 400)
        try:
            signer = request_signer(request.headers, body)
        except Unauthenticated as exc:
            return _json({"errors": [reflow_error(exc)]}, 401)
        prepared = self.document(payload["query"])
        if isinstance(prepared, dict):
            return _json(prepared, 400)
        doc = prepared.doc
        op = get_operation_ast(doc, op_name)
        if op is None:
            msg = "name the operation to run (operationName)"
            body_ = error_body("BAD_REQUEST", msg, field="operationName", rule="operation")
            return _json(body_, 400)
        writes = op.operation == OperationType.MUTATION
        try:
            if writes or self.node.settings.require_signed_reads:
                require_signer(signer)
        except Unauthenticated as exc:
            return _json({"errors": [reflow_error(exc)]}, 401)
        key: tuple[str, ...] | None = None
        position = 0
        if not writes and request.headers.get("cache-control") != "no-cache":
            key = (payload["query"], json.dumps(variables, sort_keys=True), op_name or "",
                   signer or "")  # fmt: skip
            position = self.log_position()
            hit = self.results.get(key)
            if hit is not None and hit[0] == position:
                self.results.move_to_end(key)
                return Response(hit[1], media_type="application/json")
        ctx = RequestContext(
            self.node, signer, Loaders(self.node.store.engine), writer=self.writer, body=body,
            signature=request_signature(request.headers) if writes else None,
        )  # fmt: skip

        def run() -> Any:
            try:
                return execute(
                    self.schema, doc, context_value=ctx, variable_values=variables,
                    operation_name=op_name, executor_class=PlainExecutor,
                    is_awaitable=never_awaitable, shared=None if writes else prepared.shared,
                )  # fmt: skip
            finally:
                ctx.loaders.close()

        result = await run_in_threadpool(run) if writes else run()
        out: dict[str, Any] = {"data": result.data}
        status = 200
        if result.errors:
            out["errors"] = [graphql_error(e, "BAD_USER_INPUT") for e in result.errors]
            if result.data is None and not any(e.path for e in result.errors):
                status = 400  # the variables did not fit the operation
        response = _json(out, status)
        if key is not None and not result.errors and len(response.body) <= RESULT_CACHE_MAX_BYTES:
            self.remember(key, position, bytes(response.body))
        return response


class Metrics:
    """Prometheus counters of this app (one registry per app, so tests do not share them)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reflow_http_requests", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "reflow_http_request_seconds", "request latency", ["route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )  # fmt: skip

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)


def resource_json(node: Node, resource_id: str) -> dict[str, Any] | None:
    """A resource with its specification, place and quantities: the plain-JSON twin of the
    typical GraphQL resource query (the ceiling the API's overhead is measured against)."""
    loaders = Loaders(node.store.engine)
    try:
        r = loaders.resources.get(resource_id)
        if r is None:
            return None
        spec = loaders.objects.get(r["conformsTo"])
        place = loaders.objects.get(r["currentLocation"])
    finally:
        loaders.close()

    def qty(m: dict[str, Any] | None) -> dict[str, Any] | None:
        if m is None:
            return None
        return {"hasNumericalValue": m["hasNumericalValue"], "hasUnit": unit_node(m["hasUnit"])}

    return {
        "id": r["id"],
        "name": r["name"],
        "accountingQuantity": qty(r["accountingQuantity"]),
        "onhandQuantity": qty(r["onhandQuantity"]),
        "conformsTo": {"id": spec["id"], "name": spec.get("name")} if spec else None,
        "currentLocation": (
            {"id": place["id"], "name": place.get("name"), "lat": place.get("lat"),
             "long": place.get("long")} if place else None
        ),
    }  # fmt: skip


def create_app(
    node: Node, *, extra_routes: Sequence[BaseRoute] = (), limits: Limits = LIMITS
) -> Starlette:
    metrics = Metrics()
    graphql = GraphQLEndpoint(node, limits, metrics)
    play_page = files("reflow.api").joinpath("play.html").read_text(encoding="utf-8")

    async def play(request: Request) -> Response:
        return HTMLResponse(play_page)

    async def schema_sdl(request: Request) -> Response:
        return PlainTextResponse(type_defs())

    async def health(request: Request) -> Response:
        try:
            with node.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any database failure means "not healthy"
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "network": node.info.network})

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def resource(request: Request) -> Response:
        start = time.perf_counter()
        found = resource_json(node, request.path_params["id"])
        if found is None:
            response = _json(error_body("NOT_FOUND", "no such resource", field="id"), 404)
        else:
            response = _json(found)
        metrics.observe("resource_json", response.status_code, time.perf_counter() - start)
        return response

    routes: list[BaseRoute] = [
        Route("/api", graphql.endpoint, methods=["POST"]),
        Route("/play", play, methods=["GET"]),
        Route("/schema", schema_sdl, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/resource/{id}.json", resource, methods=["GET"]),
        *extra_routes,
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        graphql.writer.stop()

    return Starlette(routes=routes, lifespan=lifespan)
