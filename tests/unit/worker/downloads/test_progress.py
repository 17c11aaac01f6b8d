import threading

import pytest

from gpustack.worker.downloads.errors import DownloadCancelledError
from gpustack.worker.downloads.progress import ProgressTracker, download_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reports_are_throttled_to_one_per_interval_but_the_last_always_comes() -> None:
    clock = FakeClock()
    reports: list[tuple[int, int]] = []
    tracker = ProgressTracker(lambda d, t: reports.append((d, t)), {"a": 1000}, clock=clock)
    bar = tracker.bar_class("a", threading.Event())(total=1000)

    for _ in range(9):
        bar.update(100)
        clock.now += 0.1
    clock.now += 1.0
    bar.update(100)
    tracker.finish()

    assert reports == [(100, 1000), (1000, 1000), (1000, 1000)]


def test_cached_files_count_as_done_and_overshoot_is_capped() -> None:
    reports: list[tuple[int, int]] = []
    tracker = ProgressTracker(
        lambda d, t: reports.append((d, t)), {"a": 300, "b": 700}, interval=0.0
    )

    tracker.finish_file("b")
    tracker.add("a", 500)  # a restarted stream must not push past the file size

    assert reports[-1] == (1000, 1000)


def test_unknown_size_is_learned_from_the_bar() -> None:
    tracker = ProgressTracker(None, {"a": None})

    tracker.bar_class("a", threading.Event())(total=4096).update(1024)

    assert (tracker.downloaded, tracker.total) == (1024, 4096)


def test_a_cancelled_download_stops_at_the_next_chunk() -> None:
    cancel = threading.Event()
    bar = ProgressTracker(None, {"a": 10}).bar_class("a", cancel)(total=10)
    cancel.set()

    with pytest.raises(DownloadCancelledError):
        bar.update(1)


@pytest.mark.parametrize(
    ("done", "total", "percent"), [(0, 0, 0.0), (1, 3, 33.33), (5, 5, 100.0), (7, 5, 100.0)]
)
def test_download_progress_is_a_percentage(done: int, total: int, percent: float) -> None:
    assert download_progress(done, total) == percent
