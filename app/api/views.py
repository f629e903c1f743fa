"""The REST API's routes on the faust web server (``app.page`` views)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import faust
from faust.web import Request, Response, View

from app.api.openapi import openapi
from app.api.service import ApiService
from app.errors import ConfigError, DriftmendError, NotFoundError


def register(app: faust.App, service: ApiService, ready: Callable[[], bool]) -> None:
    """Add the API's views to ``app``'s web server."""

    async def answer(view: View, fn: Callable[..., Any], *args: Any) -> Response:
        loop = asyncio.get_running_loop()
        try:
            body = await loop.run_in_executor(None, functools.partial(fn, *args))
        except NotFoundError as exc:
            return view.json({"error": str(exc)}, status=404)
        except ConfigError as exc:
            return view.json({"error": str(exc)}, status=400)
        except DriftmendError as exc:
            return view.json({"error": str(exc)}, status=503)
        return view.json(body)

    def query_int(request: Request, name: str, default: int) -> int:
        raw = request.query.get(name)
        try:
            return default if raw is None else int(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be an integer") from exc

    def query_float(request: Request, name: str, default: float) -> float:
        raw = request.query.get(name)
        try:
            return default if raw is None else float(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number") from exc

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return self.json(openapi())

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            ok = ready()
            if not ok:
                return self.json({"error": "not consuming yet"}, status=503)
            return await answer(self, lambda: {"ready": True, "feeds": len(service.feeds())})

    @app.page("/api/feeds")
    class Feeds(View):
        async def get(self, request: Request) -> Response:
            return await answer(self, service.feeds)

    @app.page("/api/feeds/{feed}/baselines")
    class Versions(View):
        async def get(self, request: Request, feed: str) -> Response:
            return await answer(self, service.versions, feed)

    @app.page("/api/feeds/{feed}/baselines/{version}")
    class OneBaseline(View):
        async def get(self, request: Request, feed: str, version: str) -> Response:
            if not version.isdigit() or int(version) < 1:
                return self.json({"error": "version must be a positive integer"}, status=400)
            return await answer(self, service.baseline, feed, int(version))

    @app.page("/api/feeds/{feed}/tolerances")
    class Tolerances(View):
        async def get(self, request: Request, feed: str) -> Response:
            return await answer(self, service.tolerances, feed)

        async def put(self, request: Request, feed: str) -> Response:
            try:
                body = await request.json()
            except ValueError:
                return self.json({"error": "the body must be JSON"}, status=400)
            return await answer(self, service.set_tolerances, feed, body)

    @app.page("/api/feeds/{feed}/lineage")
    class Lineage(View):
        async def get(self, request: Request, feed: str) -> Response:
            return await answer(self, service.lineage_graph, feed)

    @app.page("/api/feeds/{feed}/events")
    class Events(View):
        async def get(self, request: Request, feed: str) -> Response:
            try:
                limit = query_int(request, "limit", 50)
            except ConfigError as exc:
                return self.json({"error": str(exc)}, status=400)
            return await answer(self, service.recent_events, feed, limit)

    @app.page("/api/feeds/{feed}/synthetic")
    class Synthetic(View):
        async def get(self, request: Request, feed: str) -> Response:
            try:
                n = query_int(request, "n", 10)
                alpha = query_float(request, "alpha", 0.0)
            except ConfigError as exc:
                return self.json({"error": str(exc)}, status=400)
            return await answer(self, service.preview, feed, n, alpha)
