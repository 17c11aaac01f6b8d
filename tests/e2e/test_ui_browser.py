"""The web UI driven in headless Chromium against a real server and worker.

One flow walks a first session the way a person would: change the bootstrap password, create an
API key and use it with the OpenAI SDK, deploy the tiny GGUF from a local path and watch it reach
Running without reloading, read its API access info, chat with it in the Playground, and switch
the language. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.ui_support import launch_chromium, missing_prerequisites, screenshot
from tests.fixtures.models import write_tiny_llama_gguf
from tests.support.processes import ADMIN_PASSWORD as BOOTSTRAP_PASSWORD
from tests.support.processes import Cluster, GpustackProcess, cluster, free_port, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites())),
]

NEW_PASSWORD = "Changed2024pw"
MODEL_NAME = "tiny-llm"
RUNNING_TIMEOUT_MS = 180_000
# The suite shares two cores with other work: give the UI room before calling it broken.
expect.set_options(timeout=15_000)
PAGES = {
    "dashboard": "/",
    "deployments": "/deployments",
    "workers": "/workers",
    "gpus": "/gpus",
    "model-files": "/model-files",
    "playground": "/playground",
    "api-keys": "/api-keys",
    "users": "/users",
    "usage": "/usage",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One server with its embedded worker for the whole module (starting one takes seconds)."""
    with cluster(tmp_path_factory.mktemp("gpustack-ui")) as running:
        running.start_server()
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, server: Cluster) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def log_in(page: Page, password: str, expect_success: bool = True) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if expect_success:
        expect(page).not_to_have_url(re.compile(r"/login$"))


def current_password(server: Cluster) -> str:
    """The admin password now, whichever test ran first in this module."""
    for password in (NEW_PASSWORD, BOOTSTRAP_PASSWORD):
        res = httpx.post(
            server.url + "/auth/login", data={"username": "admin", "password": password}
        )
        if res.status_code == 200:
            return password
    raise AssertionError("neither the bootstrap nor the changed admin password works")


def close_dialog(page: Page) -> None:
    page.locator(".ant-modal-wrap:visible .ant-modal-close").click()
    # Wait out the closing animation: the fading mask would swallow the next click.
    expect(page.locator(".ant-modal-wrap:visible")).to_have_count(0)


def wait_for_local_worker(server: Cluster) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login = {"username": "admin", "password": current_password(server)}
        assert client.post("/auth/login", data=login).status_code == 200
        server.wait_worker_ready(client, ["local"])


def change_password(page: Page) -> None:
    # The forced change appears by itself; otherwise it is in the avatar menu.
    if not page.url.endswith("/change-password"):
        page.get_by_test_id("avatar-menu").click()
        page.get_by_role("menuitem", name="Change Password").click()
    expect(page).to_have_url(re.compile(r"/change-password$"))
    page.get_by_label("Current password").fill(BOOTSTRAP_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    screenshot(page, "change-password")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("main-menu")).to_be_visible()


def create_api_key(page: Page) -> str:
    page.get_by_test_id("avatar-menu").click()
    page.get_by_role("menuitem", name="API Keys").click()
    expect(page.get_by_text("No API keys")).to_be_visible()
    page.get_by_test_id("new-api-key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("e2e-sdk")
    dialog.get_by_role("button", name="Save").click()
    value = page.get_by_test_id("api-key-value").inner_text().strip()
    screenshot(page, "api-key-created")
    page.get_by_role("button", name="Close").first.click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The list shows the key masked, never the full value.
    expect(page.get_by_text(value.rsplit("_", 1)[0] + "_****")).to_be_visible()
    return value


def deploy_local_gguf(page: Page, gguf: Path) -> None:
    page.get_by_test_id("main-menu").get_by_text("Deployments").click()
    expect(page.get_by_text("No deployments yet")).to_be_visible()
    page.get_by_test_id("deploy-model").click()
    # The API-key dialog may still be closing: pick the dialog that holds the deploy form.
    dialog = page.get_by_role("dialog").filter(has=page.get_by_test_id("deploy-name"))
    dialog.get_by_role("tab", name="Local Path").click()
    dialog.get_by_test_id("local-path-input").fill(str(gguf))
    dialog.get_by_test_id("deploy-name").fill(MODEL_NAME)
    # The compatibility check answers before Save, in words.
    expect(dialog.get_by_test_id("compat-result")).to_be_visible(timeout=20_000)
    screenshot(page, "deploy-model")
    page.locator("#deploy-save").click()
    expect(page.get_by_text("Deployment created")).to_be_visible()


def wait_running_without_reload(page: Page, server: Cluster) -> None:
    row = page.get_by_test_id(f"model-row-{MODEL_NAME}")
    expect(row).to_be_visible()
    url_before = page.url
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    try:
        expect(row.locator("[data-state=running]")).to_be_visible(timeout=RUNNING_TIMEOUT_MS)
    except AssertionError as exc:
        screenshot(page, "deployments-not-running")
        raise AssertionError(f"{row.inner_text()}\n{server.logs()}") from exc
    assert page.url == url_before and navigations == [], "the page reloaded to show the state"
    row.locator(".ant-table-row-expand-icon").click()
    instances = page.get_by_test_id("instances-table")
    expect(instances.locator("[data-state=running]")).to_be_visible()
    screenshot(page, "deployments-running")
    instances.get_by_role("button", name="Logs").click()
    expect(page.get_by_test_id("instance-logs")).not_to_have_text("No log output yet.")
    screenshot(page, "instance-logs")
    close_dialog(page)


def check_api_access_info(page: Page, server: Cluster) -> None:
    page.get_by_test_id(f"api-access-{MODEL_NAME}").click()
    expect(page.get_by_test_id("access-base-url")).to_contain_text(f"{server.url}/v1")
    expect(page.get_by_test_id("access-base-url-openai")).to_contain_text("/v1-openai")
    expect(page.get_by_test_id("access-model-name")).to_contain_text(MODEL_NAME)
    expect(page.get_by_test_id("snippet-curl")).to_contain_text("/v1/chat/completions")
    screenshot(page, "api-access-info")
    close_dialog(page)


STREAM_WATCHER = """
window.__partials = new Set();
new MutationObserver(() => {
  const answer = document.querySelector('[data-testid=chat-message-assistant]');
  if (answer) window.__partials.add(answer.textContent);
}).observe(document.body, { childList: true, subtree: true, characterData: true });
"""


def chat_in_playground(page: Page) -> None:
    page.get_by_test_id("main-menu").get_by_text("Playground").click()
    expect(page.get_by_test_id("playground-model")).to_contain_text(MODEL_NAME)
    page.get_by_label("Max tokens").fill("24")
    page.get_by_test_id("chat-input").fill("hello")
    # Count the distinct partial answers the page shows: a streamed reply grows in steps.
    page.evaluate(STREAM_WATCHER)
    page.get_by_test_id("chat-send").click()
    answer = page.get_by_test_id("chat-message-assistant")
    expect(answer).to_contain_text(re.compile(r"Assistant\s*\S+"), timeout=60_000)
    expect(page.get_by_test_id("chat-usage")).to_be_visible()
    partials = page.evaluate("window.__partials.size")
    assert partials >= 2, f"the answer appeared in {partials} step(s), not streamed"
    expect(page.get_by_test_id("chat-usage")).to_contain_text("completion")
    screenshot(page, "playground-chat")


def use_key_with_openai_sdk(server: Cluster, key: str) -> None:
    client = OpenAI(base_url=server.url + "/v1", api_key=key)
    assert MODEL_NAME in [m.id for m in client.models.list()]
    reply = client.chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "hi"}], max_tokens=8
    )
    assert reply.choices[0].message.content


def test_first_session_from_login_to_streamed_chat(
    context: BrowserContext, server: Cluster, tmp_path: Path
) -> None:
    wait_for_local_worker(server)
    page = context.new_page()
    log_in(page, current_password(server))
    if current_password(server) == BOOTSTRAP_PASSWORD:
        change_password(page)
    key = create_api_key(page)
    gguf = write_tiny_llama_gguf(tmp_path / "tiny-llama.gguf")
    deploy_local_gguf(page, gguf)
    wait_running_without_reload(page, server)
    use_key_with_openai_sdk(server, key)
    check_api_access_info(page, server)
    chat_in_playground(page)


def test_language_switch_translates_menu_and_persists(
    context: BrowserContext, server: Cluster
) -> None:
    page = context.new_page()
    log_in(page, current_password(server))
    menu = page.get_by_test_id("main-menu")
    expect(menu).to_contain_text("Deployments")
    page.get_by_test_id("lang-switch").get_by_text("简体中文").click()
    expect(menu).to_contain_text("模型部署")
    expect(menu).to_contain_text("仪表盘")
    screenshot(page, "dashboard-zh")
    page.reload()
    expect(page.get_by_test_id("main-menu")).to_contain_text("模型部署")


def test_bad_password_is_explained(context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, "wrong-password-1", expect_success=False)
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_avatar_menu_opens_on_hover_click_and_keyboard(
    context: BrowserContext, server: Cluster
) -> None:
    page = context.new_page()
    log_in(page, current_password(server))
    avatar = page.get_by_test_id("avatar-menu")
    api_keys = page.get_by_role("menuitem", name="API Keys")
    # Hover alone opens it, as the guide says.
    avatar.hover()
    expect(api_keys).to_be_visible()
    # A click after the hover keeps it open (the trigger alone would toggle it shut).
    avatar.click()
    page.wait_for_timeout(400)
    expect(api_keys).to_be_visible()
    api_keys.click()
    expect(page).to_have_url(re.compile(r"/api-keys$"))
    expect(api_keys).to_be_hidden()
    # From closed, a click opens it, and it stays open once the hover delay has passed.
    page.mouse.move(5, 5)
    avatar.click()
    page.wait_for_timeout(400)
    expect(api_keys).to_be_visible()
    page.mouse.move(5, 5)
    expect(api_keys).to_be_hidden()
    # Keyboard: the avatar is a focusable button; Enter opens, Escape closes, Space opens.
    avatar.focus()
    page.keyboard.press("Enter")
    expect(api_keys).to_be_visible()
    page.keyboard.press("Escape")
    expect(api_keys).to_be_hidden()
    avatar.focus()
    page.keyboard.press("Space")
    expect(api_keys).to_be_visible()
    api_keys.click()
    expect(page).to_have_url(re.compile(r"/api-keys$"))


# Above this load average per core, timings measure the neighbours rather than the UI.
OVERLOADED_PER_CORE = 2.0
# Records, in the page itself, when the page's heading first appears (ms since navigation).
HEADING_TIMER = """
new MutationObserver((_, observer) => {
  if (document.querySelector('main h3')) {
    window.__headingAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def heading_time_s(page: Page, path: str) -> float:
    page.goto(path)
    expect(page.locator("main h3").first).to_be_visible()
    return float(page.evaluate("window.__headingAt")) / 1000


def test_every_page_renders_fast_from_a_deep_link(context: BrowserContext, server: Cluster) -> None:
    page = context.new_page()
    page.add_init_script(HEADING_TIMER)
    log_in(page, current_password(server))
    slow: dict[str, float] = {}
    for name, path in PAGES.items():
        # Best of five: the machine is shared; a stall from other work is not the bundle's.
        best = min(heading_time_s(page, path) for _ in range(5))
        if best > 1.0:
            slow[name] = round(best, 2)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"page-{name}")
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    if slow and load > OVERLOADED_PER_CORE:
        # Other processes own the CPU: the numbers say nothing about the bundle. Say so.
        pytest.skip(f"load {load:.1f} per core; pages over 1 s under that load: {slow}")
    assert slow == {}, f"pages slower than 1 s on loopback: {slow}"


def test_generated_admin_password_forces_a_change_before_anything_else(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    data_dir = tmp_path / "server"
    args = ["--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    server = GpustackProcess([*args, "--disable-worker"], tmp_path / "server.log", {**os.environ})
    server.start()
    try:
        password_file = data_dir / "initial_admin_password"
        wait_until(password_file.is_file, 60, f"the generated password\n{server.log()}")
        base_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(base_url), 60, f"the server\n{server.log()}")
        ctx = browser.new_context(base_url=base_url)
        page = ctx.new_page()
        page.goto("/deployments")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password_file.read_text().strip())
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/change-password$"))
        expect(page.get_by_text("This is your first login")).to_be_visible()
        page.goto("/workers")
        expect(page).to_have_url(re.compile(r"/change-password$"))
        page.get_by_label("Current password").fill(password_file.read_text().strip())
        page.get_by_label("New password", exact=True).fill("onlyletters")
        page.get_by_label("Confirm new password").fill("onlyletters")
        page.get_by_role("button", name="Save").click()
        # The server's policy message reaches the person in words.
        expect(page.get_by_role("alert").filter(has_text="digit")).to_be_visible()
        screenshot(page, "forced-password-change")
        page.get_by_label("New password", exact=True).fill("Forced12345")
        page.get_by_label("Confirm new password").fill("Forced12345")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("main-menu")).to_be_visible()
        ctx.close()
    finally:
        server.stop()


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
