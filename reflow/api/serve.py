"""Run the API under uvicorn: used by ``reflow serve`` and by the API benchmark.

``python -m reflow.api.serve --data-dir DIR [--db URL] [--host H] [--port P]`` starts a node's
server without loading the whole command line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reflow.node import Node
from reflow.settings import Settings


def serve(settings: Settings, host: str, port: int, log_level: str = "warning") -> None:
    import uvicorn

    from reflow.api.app import create_app

    node = Node.open(settings)
    try:
        uvicorn.run(create_app(node), host=host, port=port, log_level=log_level, access_log=False)
    finally:
        node.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="serve a ReflowOS node's API")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--db", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = Settings.from_env(data_dir=args.data_dir, database_url=args.db)
    serve(settings, args.host, args.port)


if __name__ == "__main__":
    main()
