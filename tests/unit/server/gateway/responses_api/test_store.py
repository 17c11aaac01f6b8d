"""The kept responses: only their user reads them, and age, count and bytes bound them."""

from __future__ import annotations

from gpustack.server.gateway.responses_api.store import ResponseStore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def conversation(text: str) -> list[dict[str, object]]:
    return [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]


def test_a_response_is_read_back_by_its_user_only() -> None:
    store = ResponseStore()
    store.put("resp_1", 1, {"id": "resp_1"}, conversation("hi"))
    kept = store.get("resp_1", 1)
    assert kept is not None
    assert kept.response == {"id": "resp_1"} and kept.conversation == conversation("hi")
    assert store.get("resp_1", 2) is None
    assert store.get("resp_2", 1) is None


def test_responses_expire_after_their_time() -> None:
    clock = Clock()
    store = ResponseStore(ttl_s=60, clock=clock)
    store.put("old", 1, {}, conversation("a"))
    clock.now = 30
    store.put("new", 1, {}, conversation("b"))
    clock.now = 61
    assert store.get("old", 1) is None and store.get("new", 1) is not None
    clock.now = 91
    assert len(store) == 0


def test_the_oldest_go_first_past_the_count_or_the_bytes() -> None:
    by_count = ResponseStore(max_entries=2)
    for name in ("a", "b", "c"):
        by_count.put(name, 1, {}, conversation(name))
    assert [by_count.get(n, 1) is not None for n in ("a", "b", "c")] == [False, True, True]

    by_bytes = ResponseStore(max_bytes=300)
    by_bytes.put("a", 1, {}, conversation("x" * 100))
    by_bytes.put("b", 1, {}, conversation("y" * 100))
    assert by_bytes.get("a", 1) is None and by_bytes.get("b", 1) is not None
    by_bytes.put("huge", 1, {}, conversation("z" * 1000))  # larger than the store: not kept
    assert by_bytes.get("huge", 1) is None and by_bytes.get("b", 1) is not None
