"""Fixtures for the offline Clarity service tests: a running service and a tiny HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests

from clarity_tools.offline import OfflineClarity

START = datetime(2026, 10, 1, tzinfo=UTC)
SHOP, DOCS, BLOG = "northwind-shop", "contoso-docs", "fabrikam-blog"
DAYS = 40


@dataclass
class Api:
    """Calls project-live-insights of one service over real HTTP."""

    service: OfflineClarity
    http: requests.Session

    def get(
        self,
        project: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> requests.Response:
        if headers is None:
            token = token if token is not None else self.service.tokens[project]
            headers = {"Authorization": f"Bearer {token}"}
        url = f"{self.service.base_url}/project-live-insights"
        return self.http.get(url, params=params, headers=headers, timeout=10)

    def blocks(self, project: str, **params: object) -> dict[str, list]:
        """A 200 body as {metricName: information}."""
        response = self.get(project, **params)
        assert response.status_code == 200, response.content
        return {block["metricName"]: block["information"] for block in response.json()}

    def control(self, path: str) -> str:
        return self.service.base_url.replace("/export-data/api/v1", f"/_offline/{path}")


@pytest.fixture
def service() -> Iterator[OfflineClarity]:
    """The default three projects (simulation cached across tests), clock at START."""
    with OfflineClarity(seed=7, start=START, days=DAYS) as running:
        yield running


@pytest.fixture
def api(service: OfflineClarity) -> Iterator[Api]:
    with requests.Session() as http:
        yield Api(service, http)
