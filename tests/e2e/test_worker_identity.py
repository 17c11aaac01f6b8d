"""Real processes: a worker restarts as itself, a namesake is refused until the old worker is
removed, and the cluster token shows neither in `ps` nor in any log."""

from __future__ import annotations

import signal

import httpx
import psutil

from tests.support.processes import Cluster, GpustackProcess, free_port, wait_until


def _worker(client: httpx.Client, name: str) -> dict[str, object] | None:
    for item in client.get("/v2/workers").json()["items"]:
        if item["name"] == name:
            found: dict[str, object] = item
            return found
    return None


def _port_of(process: GpustackProcess) -> int:
    return int(process.args[process.args.index("--worker-port") + 1])


def test_the_embedded_worker_keeps_the_token_off_ps_and_the_log(
    gpustack_cluster: Cluster,
) -> None:
    server = gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    gpustack_cluster.wait_worker_ready(client, ["local"])
    token_file = gpustack_cluster.tmp / "server" / "token"
    token = token_file.read_text().strip()

    assert server.proc is not None
    children = psutil.Process(server.proc.pid).children(recursive=True)
    workers = [p for p in children if "--server-url" in p.cmdline()]
    assert workers, [p.cmdline() for p in children]
    for worker in workers:
        assert token not in " ".join(worker.cmdline())
    # The log holds the server's and the embedded worker's output: it says where the token is.
    log = server.log()
    assert "Add a worker" in log and str(token_file) in log
    assert token not in log


def test_a_worker_restarts_as_itself_and_a_namesake_waits_for_its_removal(
    gpustack_cluster: Cluster,
) -> None:
    running = gpustack_cluster
    running.start_server(with_worker=False)
    client = running.client()
    first = running.start_worker("w1")
    running.wait_worker_ready(client, ["w1"])
    before = _worker(client, "w1")
    assert before is not None

    # Killed and started again on the same data dir (with a new API port): same worker.
    first.kill(signal.SIGKILL)
    again = running.start_worker("w1")
    wait_until(
        lambda: (_worker(client, "w1") or {}).get("port") == _port_of(again),
        60,
        f"w1 registered again\n{running.logs()}",
    )
    after = _worker(client, "w1")
    assert after is not None and after["id"] == before["id"]

    # A reinstalled machine (no token file) with the same name is refused with directions.
    token = (running.tmp / "server" / "token").read_text().strip()
    args = [
        "--server-url", running.url,
        "--token", token,
        "--host", "127.0.0.1",
        "--data-dir", str(running.tmp / "reinstalled"),
        "--worker-port", str(free_port()),
        "--worker-name", "w1",
        "--worker-ip", "127.0.0.1",
    ]  # fmt: skip
    namesake = GpustackProcess(args, running.tmp / "reinstalled.log", running.env).start()
    running.workers.append(namesake)
    assert namesake.proc is not None
    assert namesake.proc.wait(timeout=60) == 1, namesake.log()
    assert f"remove worker {before['id']}" in namesake.log()
    kept = _worker(client, "w1")
    assert kept is not None and (kept["id"], kept["port"]) == (before["id"], _port_of(again))

    # Once the old worker is removed, the name is free for the new machine.
    again.kill(signal.SIGKILL)
    assert client.delete(f"/v2/workers/{before['id']}").status_code == 204
    replacement = GpustackProcess(args, running.tmp / "reinstalled.log", running.env).start()
    running.workers.append(replacement)
    wait_until(
        lambda: (_worker(client, "w1") or {}).get("state") == "ready",
        60,
        f"the reinstalled w1 registered\n{running.logs()}",
    )
    replaced = _worker(client, "w1")
    # A new registration (SQLite may hand out the freed id again).
    assert replaced is not None and replaced["created_at"] != before["created_at"]
    for process in (first, namesake, replacement):
        assert token not in process.log()
