"""Company sign-in against a real server: OIDC through a stand-in provider, LDAP against a real
slapd. Chromium signs in both ways; group membership decides who is an admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from gpustack.server.security.group_mapping import is_admin
from gpustack.server.security.ldap_auth import LdapDirectory
from tests.e2e.ui_support import launch_chromium, missing_prerequisites, screenshot
from tests.fixtures import slapd
from tests.fixtures.oidc_standin import CLIENT_ID, CLIENT_SECRET, OidcStandIn, running_oidc_standin
from tests.support.processes import ADMIN_PASSWORD, Cluster, cluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(slapd.missing_slapd() is not None, reason=str(slapd.missing_slapd())),
]
expect.set_options(timeout=15_000)
PROVIDER_NAME = "Stand-in IdP"
OIDC_ADMIN = {"sub": "u-1001", "preferred_username": "carol", "name": "Carol Cloud",
              "groups": ["gpu-admins", "staff"]}  # fmt: skip
OIDC_PLAIN = {"sub": "u-1002", "preferred_username": "dave", "name": "Dave Desk",
              "groups": ["staff"]}  # fmt: skip


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slapd.Directory]:
    with slapd.running_slapd(tmp_path_factory.mktemp("slapd")) as running:
        yield running


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcStandIn]:
    with running_oidc_standin(dict(OIDC_ADMIN)) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_provider(provider: OidcStandIn) -> None:
    provider.user = dict(OIDC_ADMIN)
    provider.token_overrides = {}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, directory: slapd.Directory, provider: OidcStandIn
) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("gpustack-sso")
    secret = tmp / "oidc-secret"
    secret.write_text(CLIENT_SECRET)
    bind_password = tmp / "ldap-bind-password"
    bind_password.write_text(slapd.SERVICE_PASSWORD)
    with cluster(tmp) as running:
        running.start_server(
            "--oidc-issuer", provider.issuer,
            "--oidc-client-id", CLIENT_ID,
            "--oidc-client-secret-file", str(secret),
            "--oidc-name", PROVIDER_NAME,
            "--oidc-admin-groups", "gpu-admins",
            "--ldap-url", directory.url,
            "--ldap-bind-dn", slapd.SERVICE_DN,
            "--ldap-bind-password-file", str(bind_password),
            "--ldap-user-search-base", slapd.PEOPLE,
            "--ldap-group-search-base", slapd.GROUPS,
            "--ldap-admin-groups", "gpu-admins",
            with_worker=False,
        )  # fmt: skip
        yield running


def login(server: Cluster, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/auth/login", data={"username": username, "password": password}, timeout=30
    )


def me(server: Cluster, response: httpx.Response) -> dict[str, object]:
    with httpx.Client(base_url=server.url, cookies=response.cookies, timeout=30) as client:
        body: dict[str, object] = client.get("/v2/users/me").json()
        return body


def oidc_sign_in(server: Cluster) -> httpx.Response:
    """The browser's redirects, followed by hand: server → provider → server callback."""
    with httpx.Client(timeout=30) as client:
        start = client.get(f"{server.url}/auth/oidc/login?next=/deployments")
        assert start.status_code == 303
        approved = client.get(start.headers["location"])
        assert approved.status_code == 302, approved.text
        return client.get(approved.headers["location"])


def test_login_page_learns_which_sign_ins_exist(server: Cluster) -> None:
    body = httpx.get(f"{server.url}/auth/providers").json()
    assert body == {"oidc": {"name": PROVIDER_NAME, "login_url": "/auth/oidc/login"}, "ldap": True}


def test_ldap_groups_decide_admin_and_the_user_is_kept_as_an_ldap_user(server: Cluster) -> None:
    admin = login(server, slapd.ADMIN_USER, slapd.ADMIN_PASSWORD)
    assert admin.status_code == 200, admin.text
    assert admin.json()["is_admin"] is True and admin.json()["source"] == "ldap"
    assert admin.json()["full_name"] == "Alice Admin"
    plain = login(server, slapd.PLAIN_USER, slapd.PLAIN_PASSWORD)
    assert plain.status_code == 200, plain.text
    assert me(server, plain)["is_admin"] is False
    # A plain LDAP user is refused admin-only pages, like any plain user.
    with httpx.Client(base_url=server.url, cookies=plain.cookies) as client:
        assert client.get("/v2/users").status_code == 403
    # Signing in again finds the same user (no duplicate), by its directory entry.
    again = login(server, slapd.ADMIN_USER, slapd.ADMIN_PASSWORD)
    assert again.json()["id"] == admin.json()["id"]
    root = server.client()
    users = root.get("/v2/users", params={"search": "alice"}).json()["items"]
    root.close()
    assert [(u["username"], u["source"]) for u in users] == [("alice", "ldap")]
    assert users[0]["external_id"] == f"uid=alice,{slapd.PEOPLE}"


def test_wrong_ldap_password_is_refused_exactly_like_a_wrong_local_password(
    server: Cluster,
) -> None:
    wrong_local = login(server, "admin", "not-the-password-1")
    wrong_ldap = login(server, slapd.PLAIN_USER, "not-the-password-1")
    unknown = login(server, "nobody-here", "not-the-password-1")
    injected = login(server, "*", "not-the-password-1")
    assert wrong_local.status_code == 401
    for refused in (wrong_ldap, unknown, injected):
        assert (refused.status_code, refused.json()) == (401, wrong_local.json())
    # The local admin still signs in with the local password (tried first).
    assert login(server, "admin", ADMIN_PASSWORD).json()["source"] == "local"


def test_login_throttle_counts_wrong_ldap_passwords(server: Cluster) -> None:
    for _ in range(5):
        assert login(server, slapd.SPARE_USER, "not-the-password-1").status_code == 401
    locked = login(server, slapd.SPARE_USER, slapd.SPARE_PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_groups_can_come_from_memberof_as_active_directory_keeps_them(
    directory: slapd.Directory,
) -> None:
    ldap = LdapDirectory(
        url=directory.url,
        bind_dn=slapd.SERVICE_DN,
        bind_password=slapd.SERVICE_PASSWORD,
        user_search_base=slapd.PEOPLE,
        user_filter="(uid={username})",
        group_search_base=None,
        group_filter="",
        admin_groups=("gpu-admins",),
    )
    alice = ldap.authenticate_sync(slapd.ADMIN_USER, slapd.ADMIN_PASSWORD)
    bob = ldap.authenticate_sync(slapd.PLAIN_USER, slapd.PLAIN_PASSWORD)
    assert alice is not None and bob is not None
    assert is_admin(alice.groups, ldap.admin_groups)
    assert not is_admin(bob.groups, ldap.admin_groups)
    # A filter fragment typed as the name matches no one, even with alice's password.
    assert ldap.authenticate_sync("*)(uid=alice", slapd.ADMIN_PASSWORD) is None
    assert ldap.authenticate_sync("ali*", slapd.ADMIN_PASSWORD) is None


def test_oidc_sign_in_uses_pkce_and_maps_groups_to_admin(
    server: Cluster, provider: OidcStandIn
) -> None:
    verified = provider.pkce_verified
    done = oidc_sign_in(server)
    assert done.status_code == 303 and done.headers["location"] == "/deployments"
    assert provider.pkce_verified == verified + 1
    carol = me(server, done)
    assert (carol["username"], carol["is_admin"], carol["source"]) == ("carol", True, "oidc")
    # The role follows the groups at every sign-in: out of gpu-admins, no longer an admin.
    provider.user = {**OIDC_ADMIN, "groups": ["staff"]}
    assert me(server, oidc_sign_in(server))["is_admin"] is False


def test_oidc_id_token_for_another_client_or_nonce_is_refused(
    server: Cluster, provider: OidcStandIn
) -> None:
    for override in ({"aud": "someone-else"}, {"nonce": "replayed"}, {"iss": "http://evil"}):
        provider.token_overrides = override
        refused = oidc_sign_in(server)
        assert refused.status_code == 303, override
        location = urlsplit(refused.headers["location"])
        assert location.path == "/login", override
        assert "ID token was refused" in parse_qs(location.query)["sso_error"][0]
        assert "gpustack_session" not in refused.cookies


def test_oidc_callback_without_the_pending_cookie_is_refused(server: Cluster) -> None:
    res = httpx.get(f"{server.url}/auth/oidc/callback?code=x&state=y")
    assert res.status_code == 303 and res.headers["location"].startswith("/login?sso_error=")
    assert "gpustack_session" not in res.cookies


# --- in Chromium ---------------------------------------------------------------------------


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


def expect_users_page(page: Page, admin: bool) -> None:
    page.goto("/users")
    forbidden = page.get_by_text("Only administrators can see this page.")
    if admin:
        expect(page.get_by_role("table")).to_be_visible()
        expect(forbidden).to_have_count(0)
    else:
        expect(forbidden).to_be_visible()


@pytest.mark.browser
@pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites()))
def test_chromium_signs_in_through_the_oidc_provider_as_a_group_admin(
    context: BrowserContext,
) -> None:
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.get_by_test_id("main-menu")).to_be_visible()
    expect_users_page(page, admin=True)
    # The Users page tells how each person signs in.
    expect(page.get_by_role("row", name=re.compile("carol"))).to_contain_text("OIDC")
    screenshot(page, "sso-oidc-admin")


@pytest.mark.browser
@pytest.mark.skipif(missing_prerequisites() is not None, reason=str(missing_prerequisites()))
def test_chromium_signs_in_with_ldap_passwords_on_the_login_form(context: BrowserContext) -> None:
    page = context.new_page()
    for username, password, admin in (
        (slapd.ADMIN_USER, slapd.ADMIN_PASSWORD, True),
        (slapd.PLAIN_USER, slapd.PLAIN_PASSWORD, False),
    ):
        context.clear_cookies()
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("main-menu")).to_be_visible()
        expect_users_page(page, admin=admin)
        screenshot(page, f"sso-ldap-{username}")
    context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Username").fill(slapd.PLAIN_USER)
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect username or password")
