"""After a working session (users, keys, logins, failed logins, a joining worker, inference
calls), no secret value is in any log, error body, list response or data file in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from tests.support.processes import ADMIN_PASSWORD, cluster


def test_no_secret_is_logged_returned_or_stored_in_clear(tmp_path: Path) -> None:
    with cluster(tmp_path) as running:
        running.start_server()
        admin = running.client()
        running.wait_worker_ready(admin, ["local"])
        secrets: dict[str, str] = {"bootstrap password": ADMIN_PASSWORD}
        answers: list[str] = []

        def keep(resp: httpx.Response) -> httpx.Response:
            answers.append(resp.text)
            return resp

        user_password = "Carol-secret-pass-77"
        secrets["user password"] = user_password
        keep(admin.post("/v2/users", json={"username": "carol", "password": user_password}))
        # The one answer that shows a key: its creation.
        created = admin.post("/v2/api-keys", json={"name": "ci"})
        secrets["api key"] = created.json()["value"]
        # A wrong password and a wrong key, so failure paths log too.
        keep(
            httpx.post(
                f"{running.url}/auth/login",
                data={"username": "carol", "password": "x" + user_password},
            )
        )
        bad_key = secrets["api key"][:-4] + "beef"
        secrets["near-miss key"] = bad_key
        keep(
            httpx.get(f"{running.url}/v2/users/me", headers={"Authorization": f"Bearer {bad_key}"})
        )
        keep(
            httpx.post(
                f"{running.url}/v1/chat/completions",
                headers={"Authorization": f"Bearer {secrets['api key']}"},
                json={"model": "nope", "messages": [{"role": "user", "content": "hi"}]},
            )
        )
        new_password = "Carol-new-pass-88"
        secrets["changed password"] = new_password
        with httpx.Client(base_url=running.url) as carol:
            keep(carol.post("/auth/login", data={"username": "carol", "password": user_password}))
            changed = carol.post(
                "/auth/update-password",
                json={"current_password": user_password, "new_password": new_password},
            )
            assert keep(changed).status_code == 200, changed.text
        data_dir = tmp_path / "server"
        secrets["cluster token"] = (data_dir / "token").read_text().strip()
        worker_tokens = list(tmp_path.rglob("worker_token"))
        assert worker_tokens, "the embedded worker keeps its token in its data dir"
        secrets["worker token"] = worker_tokens[0].read_text().strip()
        for path in ("/v2/users", "/v2/api-keys", "/v2/workers", "/v2/models", "/v2/users/me"):
            keep(admin.get(path))
        running.stop()

        places = {f"answer {i}": text for i, text in enumerate(answers)}
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.name not in ("token", "worker_token"):
                places[str(path.relative_to(tmp_path))] = path.read_bytes().decode("latin-1")
        leaks = [
            f"{what} in {where}"
            for what, value in secrets.items()
            for where, text in places.items()
            if value in text
        ]
        assert leaks == [], "\n".join(leaks)
        assert any(name.endswith(".log") for name in places), "the scan saw the logs"
        assert any("database" in name for name in places), "the scan saw the database"

        # The data folder and everything in it are the owner's alone.
        for path in [data_dir, *data_dir.rglob("*")]:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
