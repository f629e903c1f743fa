"""The REST API's routes on the faust web server (``app.page`` views)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import faust
from faust.web import Request, Response, View

from app.api.openapi import openapi
from app.api.service import ApiService
from app.errors import ConfigError, DriftmendError, NotFoundError

T = TypeVar("T", int, float)


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

    def query(request: Request, name: str, default: T) -> T:
        """A query parameter of ``default``'s type; a bad one is a ConfigError (400)."""
        raw = request.query.get(name)
        try:
            return default if raw is None else type(default)(raw)
        except ValueError as exc:
            kind = "an integer" if isinstance(default, int) else "a number"
            raise ConfigError(f"{name} must be {kind}") from exc

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
                why = "not consuming yet, or the synthesis model is still loading"
                return self.json({"error": why}, status=503)
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
            return await answer(
                self, lambda: service.recent_events(feed, query(request, "limit", 50))
            )

    @app.page("/api/feeds/{feed}/synthetic")
    class Synthetic(View):
        async def get(self, request: Request, feed: str) -> Response:
            return await answer(
                self,
                lambda: service.preview(
                    feed, query(request, "n", 10), query(request, "alpha", 0.0)
                ),
            )
