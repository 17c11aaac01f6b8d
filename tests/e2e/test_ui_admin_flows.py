"""The administrator's pages in headless Chromium against one real server and worker.

Covers what the first-session flow does not: users, pre-downloading model files, deploying from
the catalog, the embeddings and rerank playgrounds, usage with its CSV export, the Add Worker
command and the dashboard's load history. One server starts for the whole module; the two
MiniLM models it serves load while the first tests run. Screenshots land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.ui_support import launch_chromium, missing_prerequisites, screenshot
from tests.support.processes import Cluster, cluster, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites())),
]

EMBEDDING_MODEL = "minilm-emb"
RERANK_MODEL = "minilm-rerank"
# The suite shares two cores with other work: give the UI room before calling it broken.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One server with its embedded worker for the whole module (starting one takes seconds)."""
    with cluster(tmp_path_factory.mktemp("gpustack-ui-admin")) as running:
        running.start_server()
        yield running


@pytest.fixture(scope="module")
def admin(
    server: Cluster, minilm_embedding_gguf: Path, minilm_reranker_gguf: Path
) -> Iterator[httpx.Client]:
    """The admin's API client; the two MiniLM deployments start loading while tests run."""
    client = server.client()
    try:
        server.wait_worker_ready(client, ["local"])
        for name, path in (
            (EMBEDDING_MODEL, minilm_embedding_gguf),
            (RERANK_MODEL, minilm_reranker_gguf),
        ):
            body = {"name": name, "source": "local_path", "local_path": str(path)}
            resp = client.post("/v2/models", json=body)
            assert resp.status_code == 201, resp.text
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def served_models(server: Cluster, admin: httpx.Client) -> list[str]:
    """The embedding and rerank deployments, running and routed by the gateway."""
    names = [EMBEDDING_MODEL, RERANK_MODEL]

    def routed() -> bool:
        models = admin.get("/v2/models").json()["items"]
        failed = [m for m in models if m["state"] == "error"]
        assert not failed, f"deployments failed: {failed}\n{server.logs()}"
        listed = {m["id"] for m in admin.get("/v1/models").json()["data"]}
        return listed >= set(names)

    wait_until(routed, 120, f"{names} routed\n{server.logs()}", interval=0.3)
    return names


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(browser: Browser, server: Cluster, admin: httpx.Client) -> Iterator[BrowserContext]:
    """A browser already logged in as admin (the session cookie of the API client)."""
    ctx = browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, accept_downloads=True
    )
    ctx.set_default_timeout(15_000)
    session = admin.cookies["gpustack_session"]
    ctx.add_cookies([{"name": "gpustack_session", "value": session, "url": server.url}])
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    yield tab
    tab.close()


def open_page(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("main h3").first).to_be_visible()


def close_dialog(page: Page) -> None:
    page.locator(".ant-modal-wrap:visible .ant-modal-close").click()
    # Wait out the closing animation: the fading mask would swallow the next click.
    expect(page.locator(".ant-modal-wrap:visible")).to_have_count(0)


def watch_navigations(page: Page) -> list[str]:
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    return navigations


def choose(page: Page, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.locator(".ant-select-dropdown:visible").get_by_title(option, exact=True).click()


def create_user(page: Page, username: str, role: str) -> None:
    # A dialog from an earlier step may still be animating closed.
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_test_id("new-user").click()
    form = page.get_by_role("dialog")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill("Member2024pw")
    choose(page, "user-role", role)
    form.get_by_role("button", name="Save").click()


def test_users_create_deactivate_and_duplicate_explained(page: Page) -> None:
    open_page(page, "/users")
    navigations = watch_navigations(page)
    create_user(page, "alice", "Admin")
    row = page.get_by_test_id("user-row-alice")
    expect(row).to_contain_text("Admin")
    expect(row.locator("[data-state=active]")).to_be_visible()
    row.get_by_role("button", name="Deactivate").click()
    expect(row.locator("[data-state=inactive]")).to_be_visible()
    expect(row.get_by_role("button", name="Activate")).to_be_visible()

    # The server refuses a second "alice"; its reason shows in the dialog, which stays open.
    create_user(page, "alice", "User")
    alert = page.get_by_role("dialog").get_by_role("alert")
    expect(alert).to_contain_text("already exists")
    screenshot(page, "users-duplicate")
    close_dialog(page)
    assert navigations == [], "the page reloaded to show the change"
    expect(page.locator("[data-testid^=user-row-]")).to_have_count(2)
    screenshot(page, "users")


def test_a_provider_key_is_write_only_and_a_route_over_it_is_listed(
    page: Page, admin: httpx.Client
) -> None:
    secret = "sk-ui-provider-key-9f8e7d6c"
    open_page(page, "/providers")
    page.get_by_test_id("new-provider").click()
    form = page.get_by_role("dialog")
    form.get_by_test_id("provider-name").fill("openai-ui")
    form.get_by_test_id("provider-base-url").fill("https://api.openai.com/v1")
    form.get_by_test_id("provider-api-key").fill(secret)
    form.get_by_role("button", name="Save").click()
    row = page.get_by_test_id("provider-row-openai-ui")
    # Only the last characters come back; the key itself is never shown again.
    expect(row).to_contain_text("••••7d6c")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert secret not in page.content()
    screenshot(page, "providers")

    route = {
        "name": "ui-route",
        "targets": [{"model": EMBEDDING_MODEL, "weight": 2}],
        "fallbacks": [{"provider_model": {"provider": "openai-ui", "model": "gpt-4o-mini"},
                       "on": ["429"]}],
    }  # fmt: skip
    assert admin.post("/v2/model-routes", json=route).status_code == 201
    open_page(page, "/routes")
    route_row = page.get_by_test_id("route-row-ui-route")
    expect(route_row).to_contain_text(f"{EMBEDDING_MODEL} \u00d72")
    expect(route_row).to_contain_text("openai-ui / gpt-4o-mini")
    screenshot(page, "routes")


def test_model_file_pre_download_reaches_ready_then_deletes(
    page: Page, tiny_llama_gguf: Path
) -> None:
    open_page(page, "/model-files")
    page.get_by_test_id("add-model-file").click()
    form = page.get_by_role("dialog")
    form.get_by_role("tab", name="Local Path").click()
    form.get_by_test_id("local-path-input").fill(str(tiny_llama_gguf))
    # The only worker is chosen already.
    expect(form.get_by_test_id("model-file-worker")).to_contain_text("local")
    screenshot(page, "model-file-add")
    page.locator("#model-file-save").click()

    row = page.locator("[data-testid^=model-file-row-]").filter(has_text=tiny_llama_gguf.name)
    expect(row.locator("[data-state=ready]")).to_be_visible(timeout=30_000)
    expect(row.get_by_test_id("model-file-size")).to_have_text(
        re.compile(r"^\d+(\.\d)? (KiB|MiB)$")
    )
    screenshot(page, "model-files-ready")

    row.get_by_role("button", name="Delete", exact=True).click()
    page.locator(".ant-popconfirm:visible").get_by_role("button", name="OK").click()
    expect(row).to_have_count(0)


def test_deploy_from_catalog_prefills_the_form_and_checks(page: Page) -> None:
    open_page(page, "/deployments")
    page.get_by_test_id("deploy-model").click()
    form = page.get_by_role("dialog")
    form.get_by_role("tab", name="Catalog").click()
    expect(form.get_by_text("Pick a model above")).to_be_visible()
    form.get_by_test_id("catalog-item-qwen3-8b").click()
    expect(form.get_by_test_id("deploy-name")).to_have_value("qwen3-8b")
    expect(form.get_by_label("Repository ID")).to_have_value("Qwen/Qwen3-8B-GGUF")
    expect(form.get_by_test_id("deploy-backend")).to_contain_text("llama.cpp")
    # The verdict arrives in words, whatever it is; nothing is downloaded to reach it.
    expect(form.get_by_test_id("compat-result")).to_be_visible(timeout=30_000)
    expect(form.get_by_test_id("compat-result")).not_to_have_text("")
    form.get_by_test_id("compat-result").scroll_into_view_if_needed()
    screenshot(page, "deploy-from-catalog")
    close_dialog(page)


def test_add_worker_dialog_shows_the_join_command(page: Page, server: Cluster) -> None:
    token = (server.tmp / "server" / "token").read_text().strip()
    open_page(page, "/workers")
    page.get_by_test_id("add-worker").click()
    command = page.get_by_test_id("worker-command")
    expect(command).to_contain_text("--server-url")
    expect(command).to_contain_text(token)
    screenshot(page, "add-worker")
    close_dialog(page)


def test_embeddings_playground_shows_similarity_matrix(
    page: Page, served_models: list[str]
) -> None:
    open_page(page, "/playground?tab=embeddings")
    expect(page.get_by_test_id("playground-model")).to_contain_text(EMBEDDING_MODEL)
    page.get_by_test_id("embeddings-compute").click()
    cells = page.get_by_test_id("similarity-cell")
    # Three texts: a 3x3 matrix of cosines, each text identical to itself.
    expect(cells).to_have_count(9, timeout=30_000)
    values = [float(text) for text in cells.all_inner_texts()]
    assert all(-1.0 <= v <= 1.0 for v in values), values
    assert [values[0], values[4], values[8]] == [1.0, 1.0, 1.0], values
    # The two sentences about cats are closer to each other than to stock prices.
    assert values[1] > values[2], values
    screenshot(page, "playground-embeddings")


def test_rerank_playground_ranks_documents(page: Page, served_models: list[str]) -> None:
    open_page(page, "/playground?tab=rerank")
    expect(page.get_by_test_id("playground-model")).to_contain_text(RERANK_MODEL)
    page.get_by_test_id("rerank-compute").click()
    results = page.get_by_test_id("rerank-results")
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(3, timeout=30_000)
    expect(results).to_contain_text("Bananas are yellow.")
    scores = [float(s) for s in results.locator(".ant-progress-text").all_inner_texts()]
    assert scores == sorted(scores, reverse=True), f"not ranked best first: {scores}"
    screenshot(page, "playground-rerank")


def test_usage_lists_requests_and_exports_csv(
    page: Page, admin: httpx.Client, served_models: list[str]
) -> None:
    reply = admin.post("/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": ["a", "b"]})
    assert reply.status_code == 200, reply.text

    def recorded() -> bool:
        items = admin.get("/v2/usage", params={"group_by": "model"}).json()["items"]
        return any(row["model_name"] == EMBEDDING_MODEL for row in items)

    wait_until(recorded, 20, "usage recorded")
    open_page(page, "/usage")
    expect(page.locator(".ant-table-tbody")).to_contain_text(EMBEDDING_MODEL)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    lines = Path(download.path()).read_text().splitlines()
    assert lines[0].startswith("date,model_name"), lines[:2]
    assert any(EMBEDDING_MODEL in line for line in lines[1:]), lines
    screenshot(page, "usage")


def test_dashboard_charts_load_history(page: Page) -> None:
    open_page(page, "/")
    chart = page.get_by_test_id("load-history")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("CPU")
    # The server samples once at start: at least one point is drawn.
    expect(chart.locator(".recharts-area-dot").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    screenshot(page, "dashboard")


def test_admin_pages_in_chinese(page: Page) -> None:
    open_page(page, "/model-files")
    page.get_by_test_id("lang-switch").get_by_text("简体中文").click()
    expect(page.get_by_test_id("add-model-file")).to_contain_text("下载模型")
    # States are words too: the deployments' files are 就绪 (ready), not READY.
    expect(page.locator("[data-state=ready]").first).to_have_text("就绪")
    screenshot(page, "model-files-zh")
    for name, path in (("users", "/users"), ("usage", "/usage"), ("workers", "/workers")):
        open_page(page, path)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"{name}-zh")
    # Dates follow the UI's language, not the browser's (no "AM"/"PM" on a Chinese page).
    open_page(page, "/users")
    expect(page.get_by_test_id("user-row-admin")).to_contain_text(
        re.compile(r"\d{4}/\d{1,2}/\d{1,2}")
    )
    page.get_by_test_id("lang-switch").get_by_text("English").click()
    expect(page.get_by_test_id("new-user")).to_contain_text("New User")


def test_audit_log_page_lists_the_deployments_created(page: Page) -> None:
    open_page(page, "/audit-logs")
    choose(page, "audit-kind", "models")
    table = page.get_by_test_id("audit-table")
    expect(table.get_by_text("create models").first).to_be_visible()
    expect(table.get_by_text("POST /v2/models").first).to_be_visible()
    screenshot(page, "audit-log")


def test_integration_check_from_the_deployment_menu(page: Page, served_models: list[str]) -> None:
    open_page(page, "/deployments")
    page.get_by_test_id(f"model-actions-{EMBEDDING_MODEL}").click()
    page.locator(".ant-dropdown:visible").get_by_text("Integration check").click()
    results = page.get_by_test_id("integration-check-results")
    expect(results).to_be_visible(timeout=120_000)
    expect(results.get_by_text("Dify").first).to_be_visible()
    expect(
        page.get_by_test_id("integration-check-modal").get_by_text("Every client call passed.")
    ).to_be_visible()
    expect(results.locator(".ant-tag", has_text="fail")).to_have_count(0)
    screenshot(page, "integration-check")
    close_dialog(page)
