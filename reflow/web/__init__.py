"""The web interface every node serves at ``/``: server-rendered pages that call the services.

``web_routes(node)`` is what the app factory mounts: the pages (one module per page kind in
``views/``), the passport pages of the trace service, and static files — this package's CSS and
JS, Leaflet from ``xstatic-leaflet`` and Plotly's bundled ``plotly.min.js`` — all served by the
node itself, so the interface works with no network beyond it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from reflow.node import Node
from reflow.trace.page import LEAFLET_URL, leaflet_directory, passport_routes
from reflow.web.render import Web
from reflow.web.session import Sessions, node_secret
from reflow.web.views import (
    charts,
    inventory,
    market,
    network,
    notices,
    plans,
    record,
    signin,
    value,
)
from reflow.web.views import map as map_view

STATIC = Path(__file__).parent / "static"


def plotly_directory() -> str:
    """The directory holding Plotly's bundled ``plotly.min.js``."""
    import plotly

    return str(Path(plotly.__file__).parent / "package_data")


async def no_icon(request: Request) -> Response:
    """Pages say ``<link rel="icon" href="data:,">``; this answers browsers that ask anyway."""
    return Response(status_code=204)


def web_routes(node: Node) -> list[BaseRoute]:
    web = Web.make(node, Sessions(node_secret(node.settings.data_dir)))
    pages: list[BaseRoute] = []
    for module in (
        notices,  # before market: /market/{id} would catch /market/stream
        map_view,
        inventory,
        market,
        plans,
        value,
        network,
        record,
        charts,
        signin,
    ):
        pages.extend(module.routes(web))
    return [
        *pages,
        *passport_routes(node),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        Mount("/static/web", StaticFiles(directory=STATIC), name="web_static"),
        Mount(LEAFLET_URL, StaticFiles(directory=leaflet_directory()), name="leaflet"),
        Mount("/static/plotly", StaticFiles(directory=plotly_directory()), name="plotly"),
    ]
