"""The admission gate: slots, a FIFO line, 429 on a full line or a wait that runs out."""

from __future__ import annotations

import asyncio

import pytest

from gpustack.server.gateway import Endpoint, GatewayMetrics, ModelRoute
from gpustack.server.gateway.admission import Admission, AdmissionGate
from gpustack.server.gateway.errors import GatewayError


def gate(capacity: int | None, max_queue: int = 10, max_wait_s: float = 5.0) -> AdmissionGate:
    return AdmissionGate("m", GatewayMetrics().queue("m"), capacity, max_queue, max_wait_s)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_requests_enter_up_to_capacity() -> None:
    g = gate(2)
    assert g.try_enter() and g.try_enter()
    assert not g.try_enter()
    g.leave()
    assert g.try_enter()
    assert g.in_use == 2


def test_no_capacity_bound_admits_everything() -> None:
    g = gate(None)
    assert all(g.try_enter() for _ in range(1000))


async def test_waiters_get_slots_in_arrival_order() -> None:
    g = gate(1)
    assert g.try_enter()
    order: list[int] = []

    async def wait(n: int) -> None:
        await g.wait()
        order.append(n)

    tasks = []
    for n in range(4):
        tasks.append(asyncio.create_task(wait(n)))
        await settle()
    assert g.waiting == 4
    # Nobody overtakes the line, even with the slot about to come free.
    assert not g.try_enter()
    for _ in range(4):
        g.leave()
        await settle()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]
    assert g.in_use == 1 and g.waiting == 0


async def test_a_full_line_answers_429_at_once() -> None:
    g = gate(1, max_queue=2)
    assert g.try_enter()
    waiters = [asyncio.create_task(g.wait()) for _ in range(2)]
    await settle()
    with pytest.raises(GatewayError) as err:
        await asyncio.wait_for(g.wait(), 0.1)
    assert err.value.status == 429
    assert err.value.code == "queue_full"
    assert err.value.retry_after is not None and err.value.retry_after >= 1
    for w in waiters:
        w.cancel()


async def test_no_line_at_all_with_max_queue_zero() -> None:
    g = gate(1, max_queue=0)
    assert g.try_enter()
    with pytest.raises(GatewayError) as err:
        await g.wait()
    assert err.value.code == "queue_full"


async def test_a_wait_that_runs_out_answers_429_and_leaves_the_line() -> None:
    g = gate(1, max_wait_s=0.05)
    assert g.try_enter()
    with pytest.raises(GatewayError) as err:
        await g.wait()
    assert (err.value.status, err.value.code) == (429, "queue_timeout")
    assert err.value.retry_after == 1
    assert err.value.type == "rate_limit_error"
    assert g.waiting == 0 and g.in_use == 1


async def test_a_cancelled_waiter_leaves_and_the_next_one_gets_the_slot() -> None:
    g = gate(1)
    assert g.try_enter()
    first = asyncio.create_task(g.wait())
    await settle()
    second = asyncio.create_task(g.wait())
    await settle()
    first.cancel()
    await settle()
    assert g.waiting == 1
    g.leave()
    await asyncio.wait_for(second, 1)
    assert g.in_use == 1 and g.waiting == 0


async def test_a_slot_handed_to_a_waiter_being_cancelled_goes_to_the_next() -> None:
    g = gate(1)
    assert g.try_enter()
    first = asyncio.create_task(g.wait())
    await settle()
    second = asyncio.create_task(g.wait())
    await settle()
    g.leave()  # hands the slot to `first` ...
    first.cancel()  # ... which goes away before it runs again
    await asyncio.wait_for(second, 1)
    assert first.cancelled()
    assert g.in_use == 1 and g.waiting == 0


async def test_more_capacity_lets_waiters_in_without_dropping_any() -> None:
    g = gate(1)
    assert g.try_enter()
    waiters = [asyncio.create_task(g.wait()) for _ in range(3)]
    await settle()
    g.configure(3, max_queue=10, max_wait_s=5.0)
    await settle()
    assert [w.done() for w in waiters] == [True, True, False]
    assert g.in_use == 3 and g.waiting == 1
    g.configure(None, max_queue=10, max_wait_s=5.0)
    await asyncio.wait_for(waiters[2], 1)
    assert g.in_use == 4


async def test_less_capacity_holds_the_line_until_running_requests_drop_below_it() -> None:
    g = gate(3)
    assert g.try_enter() and g.try_enter() and g.try_enter()
    waiter = asyncio.create_task(g.wait())
    await settle()
    g.configure(1, max_queue=10, max_wait_s=5.0)
    g.leave()
    g.leave()
    await settle()
    assert not waiter.done() and g.in_use == 1
    g.leave()
    await asyncio.wait_for(waiter, 1)
    assert g.in_use == 1


async def test_a_smaller_line_bound_keeps_those_already_waiting() -> None:
    g = gate(1, max_queue=3)
    assert g.try_enter()
    waiters = [asyncio.create_task(g.wait()) for _ in range(3)]
    await settle()
    g.configure(1, max_queue=1, max_wait_s=5.0)
    assert g.waiting == 3
    with pytest.raises(GatewayError):
        await g.wait()
    for _ in range(3):
        g.leave()
        await settle()
    assert all(w.done() and w.exception() is None for w in waiters)


def _route(name: str, *limits: int | None, queue: int | None = None) -> ModelRoute:
    endpoints = tuple(
        Endpoint(i + 1, f"http://127.0.0.1:{4000 + i}", max_concurrent=limit)
        for i, limit in enumerate(limits)
    )
    return ModelRoute(model_id=1, name=name, endpoints=endpoints, max_queue_length=queue)


def test_capacity_is_the_sum_over_running_instances() -> None:
    assert _route("m", 4, 2).capacity() == 6
    assert _route("m", 4, None).capacity() is None
    assert _route("m").capacity() == 0


async def test_admission_follows_the_route_table() -> None:
    admission = Admission(GatewayMetrics(), default_queue_length=100, default_queue_wait_s=60)
    one = _route("m", 1, queue=5)
    g = admission.gate(one)
    assert admission.gate(one) is g
    assert (g.capacity, g.waiting) == (1, 0)
    assert g.try_enter()
    waiter = asyncio.create_task(g.wait())
    await settle()
    # A second replica comes up: the waiter goes in.
    admission.sync({"m": _route("m", 1, 1)})
    await asyncio.wait_for(waiter, 1)
    assert g.capacity == 2 and g.in_use == 2
    # The model is deleted: waiters are let through (to find it gone), the gate goes when idle.
    more = asyncio.create_task(g.wait())
    await settle()
    admission.sync({})
    await asyncio.wait_for(more, 1)
    for _ in range(3):
        g.leave()
    admission.sync({})
    assert admission.gate(one) is not g


async def test_queue_metrics_are_exported() -> None:
    metrics = GatewayMetrics()
    g = AdmissionGate("m", metrics.queue("m"), 1, 1, 0.05)
    assert g.try_enter()
    waiter = asyncio.create_task(g.wait())
    await settle()
    text = metrics.render().decode()
    assert 'gpustack_gateway_queue_length{model="m"} 1.0' in text
    with pytest.raises(GatewayError):
        await g.wait()  # the line is full
    with pytest.raises(GatewayError):
        await waiter  # and the one waiting runs out of time
    text = metrics.render().decode()
    assert 'gpustack_gateway_queue_length{model="m"} 0.0' in text
    assert 'gpustack_gateway_queue_rejected_total{model="m",reason="queue_full"} 1.0' in text
    assert 'gpustack_gateway_queue_rejected_total{model="m",reason="queue_timeout"} 1.0' in text
    assert 'gpustack_gateway_queue_wait_seconds_count{model="m"} 1.0' in text
