"""Charts from the report service: the Sankey of material flows and flows per period (bars),
drawn by Plotly's bundled ``plotly.min.js`` served by this node."""

from __future__ import annotations

import json
from collections import defaultdict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import ReflowError
from reflow.report.export import sankey_data
from reflow.report.flows import SHOWN, flow_accounts
from reflow.report.scope import PERIODS, Scope
from reflow.web.render import Web, field_errors


def routes(web: Web) -> list[Route]:
    engine = web.node.store.engine

    async def page(request: Request) -> Response:
        q = request.query_params
        period = q.get("period") or "day"
        errors: dict[str, str] = {}
        try:
            scope = Scope.make(start=q.get("from"), end=q.get("to"), period=period)
        except ReflowError as exc:
            errors = field_errors(exc, ["from", "to", "period"])
            scope = Scope.make(period="day")
        totals: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(SHOWN, 0.0))
        for row in flow_accounts(engine, scope, by_material=False):
            for name in SHOWN:
                totals[row["period"]][name] += row[f"{name}_kg"]
        periods = sorted(totals)
        bars = [
            {"type": "bar", "name": name, "x": periods,
             "y": [round(totals[p][name], 3) for p in periods]}
            for name in SHOWN
            if any(totals[p][name] for p in periods)
        ]  # fmt: skip
        charts = {"sankey": sankey_data(engine, scope), "bars": bars}
        return web.page(request, "charts.html", charts=json.dumps(charts), errors=errors,
                        periods=[(p, p) for p in PERIODS], q=q, period=period)  # fmt: skip

    return [Route("/charts", page, methods=["GET"])]
