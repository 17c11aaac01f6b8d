"""UI benchmark: first page and page-to-page times to network idle, the login page's bundle size.

Run: `python benchmarks/ui.py [--rounds 3]` (build the UI first: `cd ui && npm run build`).

A real `gpustack start` server (with its embedded worker) on a fresh data folder serves the
built UI; headless Chromium opens it in a new context each round, so the cache starts empty.
Measured per round:
  - the login page, from navigation to network idle;
  - signing in, from the click on "Log in" to the dashboard at network idle;
  - each main page, from the click in the menu (API Keys: in the avatar menu) to network idle.
Network idle is Playwright's definition (no request in flight for 500 ms), timed at the end of
the last request; the pages' watch streams (EventSource, open for as long as the page) are not
requests that ever finish, so they are left out. Also the JS and CSS the login page loads: the
bytes on the wire (as the server encodes them) and their size gzipped here at level 6.
Prints the medians against the targets, and the machine's load: the figures are wall time on
whatever else the machine is doing. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, Request, Response, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.ui_support import launch_chromium, missing_prerequisites  # noqa: E402
from tests.support.processes import ADMIN_PASSWORD, cluster  # noqa: E402

QUIET_S = 0.5
IDLE_TIMEOUT_S = 60.0
FIRST_PAGE_TARGET_S = 1.0
NEXT_PAGE_TARGET_S = 0.5
FIRST_PAGE_JS_TARGET_KB = 250.0
# Side-menu pages, by their English label; API Keys is reached through the avatar menu.
MENU_PAGES = ["Deployments", "Workers", "GPUs", "Model Files", "Playground", "Users", "Usage"]
AVATAR_PAGES = ["API Keys"]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


@dataclass
class Network:
    """Requests in flight on one page, to time network idle (watch streams left out)."""

    page: Page
    inflight: set[Request] = field(default_factory=set)
    last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.page.on("request", self._started)
        self.page.on("requestfinished", self._ended)
        self.page.on("requestfailed", self._ended)

    def _started(self, request: Request) -> None:
        if "watch=true" in request.url:
            return
        self.inflight.add(request)
        self.last = time.monotonic()

    def _ended(self, request: Request) -> None:
        if request in self.inflight:
            self.inflight.discard(request)
            self.last = time.monotonic()

    def idle_after(self, start: float) -> float:
        """Seconds from `start` to the end of the last request before QUIET_S of quiet."""
        deadline = start + IDLE_TIMEOUT_S
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(25)  # lets Playwright deliver the request events
            if not self.inflight and time.monotonic() - self.last >= QUIET_S:
                return max(self.last - start, 0.0)
        raise TimeoutError(f"no network idle within {IDLE_TIMEOUT_S:.0f} s: {self.inflight}")


@dataclass
class Assets:
    """JS and CSS responses: bytes on the wire and gzip level 6 of the decoded bodies."""

    wire: dict[str, int] = field(default_factory=dict)
    gzipped: dict[str, int] = field(default_factory=dict)

    def record(self, response: Response) -> None:
        url = response.url.split("?")[0]
        if not url.endswith((".js", ".css")) or response.status != 200:
            return
        self.wire[url] = response.request.sizes()["responseBodySize"]
        self.gzipped[url] = len(gzip.compress(response.body(), compresslevel=6))

    def kb(self, sizes: dict[str, int], ext: str) -> float:
        return sum(n for url, n in sizes.items() if url.endswith(ext)) / 1000


@dataclass
class Round:
    login: float
    dashboard: float
    pages: dict[str, float]
    assets: Assets


def one_round(browser_url: str, launch: object) -> Round:
    assert callable(launch)
    browser = launch()
    context = browser.new_context(base_url=browser_url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    network = Network(page)
    assets = Assets()
    page.on("response", assets.record)
    start = time.monotonic()
    page.goto("/login", wait_until="commit")
    login = network.idle_after(start)
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.remove_listener("response", assets.record)
    start = time.monotonic()
    page.get_by_role("button", name="Log in").click()
    page.get_by_test_id("main-menu").wait_for()
    dashboard = network.idle_after(start)
    pages: dict[str, float] = {}
    for label in MENU_PAGES:
        # A menu item's name starts with its icon's label ("deployment-unit Deployments").
        name = re.compile(rf"{re.escape(label)}$")
        item = page.get_by_test_id("main-menu").get_by_role("menuitem", name=name)
        item.click(trial=True)  # waits until clickable (the dropdown's open animation)
        start = time.monotonic()
        item.click()
        pages[label] = network.idle_after(start)
    for label in AVATAR_PAGES:
        page.get_by_test_id("avatar-menu").hover()
        item = page.get_by_role("menuitem", name=re.compile(rf"{re.escape(label)}$"))
        item.click(trial=True)  # waits until clickable (the dropdown's open animation)
        start = time.monotonic()
        item.click()
        pages[label] = network.idle_after(start)
    context.close()
    browser.close()
    return Round(login, dashboard, pages, assets)


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else f"MISSED ({value / target:.1f} times the target)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    problem = missing_prerequisites()
    if problem:
        sys.exit(problem)
    print(f"load before: {uptime()}", flush=True)
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="gpustack-ui-bench-") as tmp:
        with cluster(Path(tmp)) as running, sync_playwright() as playwright:
            running.start_server()
            for i in range(args.rounds):
                result = one_round(running.url, lambda: launch_chromium(playwright))
                rounds.append(result)
                print(
                    f"round {i + 1}: login {result.login:.2f} s, "
                    f"dashboard {result.dashboard:.2f} s",
                    flush=True,
                )
    print(f"\nload after: {uptime()}")
    med = statistics.median
    login = med(r.login for r in rounds)
    dashboard = med(r.dashboard for r in rounds)
    print(f"\n| figure (median of {args.rounds}, empty cache) | value | target | |")
    print("|---|---|---|---|")
    first = FIRST_PAGE_TARGET_S
    print(f"| login page → network idle | {login:.2f} s | ≤ {first} s | {verdict(login, first)} |")
    print(
        f"| sign in → dashboard at network idle | {dashboard:.2f} s | ≤ {first} s "
        f"| {verdict(dashboard, first)} |"
    )
    nxt = NEXT_PAGE_TARGET_S
    for label in [*MENU_PAGES, *AVATAR_PAGES]:
        value = med(r.pages[label] for r in rounds)
        print(f"| → {label} at network idle | {value:.2f} s | ≤ {nxt} s | {verdict(value, nxt)} |")
    assets = rounds[0].assets
    js_gz = assets.kb(assets.gzipped, ".js")
    target_kb = FIRST_PAGE_JS_TARGET_KB
    print(
        f"| login page JS, gzip -6 | {js_gz:.1f} kB | ≤ {target_kb:.0f} kB "
        f"| {verdict(js_gz, target_kb)} |"
    )
    print(f"| login page JS, on the wire | {assets.kb(assets.wire, '.js'):.1f} kB | | |")
    print(f"| login page CSS, gzip -6 | {assets.kb(assets.gzipped, '.css'):.1f} kB | | |")
    print(f"| login page CSS, on the wire | {assets.kb(assets.wire, '.css'):.1f} kB | | |")
    print(f"| login page JS/CSS files | {len(assets.gzipped)} | | |")


if __name__ == "__main__":
    main()
