"""The deploy form's elastic fields in headless Chromium: a deployment saved with
min_replicas 0 and an idle timeout falls asleep, and the list shows it SLEEPING."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.ui_support import launch_chromium, missing_prerequisites, screenshot
from tests.support.processes import Cluster, cluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites())),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Cluster]:
    with cluster(tmp_path) as running:
        running.start_server()
        yield running


@pytest.fixture
def admin(server: Cluster) -> Iterator[httpx.Client]:
    client = server.client()
    try:
        server.wait_worker_ready(client, ["local"])
        yield client
    finally:
        client.close()


@pytest.fixture
def page(server: Cluster, admin: httpx.Client) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(20_000)
        session = admin.cookies["gpustack_session"]
        context.add_cookies([{"name": "gpustack_session", "value": session, "url": server.url}])
        yield context.new_page()
        browser.close()


def test_a_deployment_saved_with_an_idle_timeout_shows_sleeping(
    page: Page, admin: httpx.Client, tiny_llama_gguf: Path
) -> None:
    page.goto("/deployments")
    page.get_by_test_id("deploy-model").click()
    dialog = page.get_by_role("dialog").filter(has=page.get_by_test_id("deploy-name"))
    dialog.get_by_role("tab", name="Local Path").click()
    dialog.get_by_test_id("local-path-input").fill(str(tiny_llama_gguf))
    dialog.get_by_test_id("deploy-name").fill("sleepy-ui")
    dialog.get_by_text("Advanced").click()
    dialog.get_by_test_id("deploy-min-replicas").fill("0")
    dialog.get_by_test_id("deploy-idle-timeout").fill("3")
    dialog.get_by_test_id("deploy-drain-timeout").fill("5")
    screenshot(page, "deploy-elastic")
    page.locator("#deploy-save").click()
    expect(page.get_by_text("Deployment created")).to_be_visible()

    [model] = admin.get("/v2/models").json()["items"]
    assert (model["min_replicas"], model["idle_timeout"], model["drain_timeout"]) == (0, 3, 5)
    row = page.get_by_test_id("model-row-sleepy-ui")
    expect(row.locator("[data-state=sleeping]")).to_be_visible(timeout=120_000)
    expect(row).to_contain_text("SLEEPING")
    screenshot(page, "deployment-sleeping")
