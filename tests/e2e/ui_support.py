"""Helpers for the browser tests: Debian's headless Chromium, screenshots, prerequisites.

The server and worker processes come from the shared end-to-end fixtures (tests.support).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
UI_DIST = REPO_ROOT / "gpustack" / "ui_dist"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def missing_prerequisites() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (UI_DIST / "index.html").is_file():
        return "UI not built: cd ui && npm ci && npm run build"
    if not CHROMIUM.is_file():
        return "Chromium not installed: apt-get install -y chromium"
    return None


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; Playwright never downloads a browser of its own."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
