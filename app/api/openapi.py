"""The OpenAPI 3.0 description of the REST API (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from app.analysis.tolerances import DEFAULT_TOLERANCES

_OBJ = {"type": "object", "additionalProperties": True}
_ERR = {
    "description": "error",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            }
        }
    },
}
_FEED = {"name": "feed", "in": "path", "required": True, "schema": {"type": "string"}}


def _ok(schema: dict[str, Any], description: str = "ok") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _get(summary: str, schema: dict[str, Any], *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": list(params),
            "responses": {"200": _ok(schema), "400": _ERR, "404": _ERR, "503": _ERR},
        }
    }


def _tolerance_map() -> dict[str, Any]:
    level = {"type": "number", "minimum": 0}
    tolerance = {
        "type": "object",
        "required": ["low", "medium", "high"],
        "properties": {"low": level, "medium": level, "high": level},
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {name: tolerance for name in sorted(DEFAULT_TOLERANCES)},
        "additionalProperties": False,
    }


def openapi() -> dict[str, Any]:
    per_characteristic = _tolerance_map()
    tolerances = {
        "summary": "Lay per-characteristic overrides over the tolerances (a new version)",
        "parameters": [_FEED],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "defaults": per_characteristic,
                            "fields": {
                                "type": "object",
                                "additionalProperties": per_characteristic,
                            },
                        },
                        "additionalProperties": False,
                    }
                }
            },
        },
        "responses": {"200": _ok(_OBJ), "400": _ERR, "404": _ERR, "503": _ERR},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "driftmend",
            "version": "1",
            "description": "Baselines, tolerances, lineage, drift events and synthetic previews "
            "of the feeds this driftmend deployment watches.",
        },
        "paths": {
            "/health": _get("Liveness", {"type": "object"}),
            "/ready": {
                "get": {
                    "summary": "Readiness: consuming, synthesis model loaded, repository answers",
                    "parameters": [],
                    "responses": {"200": _ok(_OBJ), "503": _ERR},
                }
            },
            "/api/feeds": _get("Feeds with a baseline", {"type": "array", "items": _OBJ}),
            "/api/feeds/{feed}/baselines": _get("Versions of a feed's baseline", _OBJ, _FEED),
            "/api/feeds/{feed}/baselines/{version}": _get(
                "One baseline version: schema, profile summary, tolerances",
                _OBJ,
                _FEED,
                {
                    "name": "version",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
            ),
            "/api/feeds/{feed}/tolerances": {
                **_get("Current tolerances", _OBJ, _FEED),
                "put": tolerances,
            },
            "/api/feeds/{feed}/lineage": _get("Baseline lineage graph", _OBJ, _FEED),
            "/api/feeds/{feed}/events": _get(
                "Recent drift events, newest first",
                {"type": "array", "items": _OBJ},
                _FEED,
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                },
            ),
            "/api/feeds/{feed}/synthetic": _get(
                "Synthetic records from the current model (never real ones)",
                _OBJ,
                _FEED,
                {
                    "name": "n",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
                },
                {
                    "name": "alpha",
                    "in": "query",
                    "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
                },
            ),
        },
    }
