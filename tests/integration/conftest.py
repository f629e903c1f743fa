"""Integration tests need the real Kafka broker and Redis: they fail, never skip, without."""

from __future__ import annotations

import pytest

from tests.integration.harness import check_services


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def services() -> None:
    problem = check_services()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
