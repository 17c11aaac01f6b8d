"""Browser: the Groups page (create, members, the Users page shows them) and the API key switch."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.ui_support import launch_chromium, missing_prerequisites, screenshot
from tests.support.processes import Cluster, cluster, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites())),
]
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(tmp_path_factory.mktemp("gpustack-ui-teams")) as running:
        running.start_server(with_worker=False)
        yield running


@pytest.fixture
def page(server: Cluster) -> Iterator[tuple[Page, httpx.Client]]:
    admin = server.client()
    with sync_playwright() as playwright:
        browser: Browser = launch_chromium(playwright)
        ctx = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
        session = admin.cookies["gpustack_session"]
        ctx.add_cookies([{"name": "gpustack_session", "value": session, "url": server.url}])
        try:
            yield ctx.new_page(), admin
        finally:
            browser.close()
            admin.close()


def test_groups_page_creates_a_group_and_adds_a_member(page: tuple[Page, httpx.Client]) -> None:
    tab, admin = page
    resp = admin.post("/v2/users", json={"username": "gina", "password": "gina-pass-123"})
    assert resp.status_code == 201
    tab.goto("/groups")
    tab.get_by_test_id("new-group").click()
    form = tab.get_by_role("dialog")
    form.get_by_test_id("group-name").fill("research")
    form.get_by_label("Requests per minute").fill("30")
    form.get_by_role("button", name="Save").click()
    row = tab.get_by_test_id("group-row-research")
    expect(row).to_contain_text("30")

    expect(tab.get_by_role("dialog")).to_have_count(0)
    row.get_by_test_id("members-research").click()
    tab.get_by_test_id("member-username").fill("gina")
    tab.get_by_test_id("add-member").click()
    expect(tab.get_by_role("dialog").get_by_role("cell", name="gina")).to_be_visible()
    screenshot(tab, "group-members")
    group = admin.get("/v2/groups").json()["items"][0]
    members = admin.get(f"/v2/groups/{group['id']}/members").json()["items"]
    assert [m["username"] for m in members] == ["gina"]

    tab.goto("/users")
    expect(tab.get_by_test_id("user-row-gina")).to_contain_text("research")


def test_the_api_key_switch_disables_and_enables_the_key(page: tuple[Page, httpx.Client]) -> None:
    tab, admin = page
    value = admin.post("/v2/api-keys", json={"name": "switchable"}).json()["value"]
    url = str(admin.base_url)

    def me() -> int:
        headers = {"Authorization": f"Bearer {value}"}
        return httpx.get(f"{url}/v2/users/me", headers=headers).status_code

    assert me() == 200
    tab.goto("/api-keys")
    switch = tab.get_by_test_id("key-active-switchable")
    switch.click()
    expect(switch).not_to_be_checked()
    wait_until(lambda: me() == 401, 5, "key refused once disabled")
    switch.click()
    expect(switch).to_be_checked()
    wait_until(lambda: me() == 200, 5, "key accepted once enabled")
