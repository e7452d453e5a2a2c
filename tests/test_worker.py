"""The worker-thread helper every streaming task uses: items in order, errors re-raised, a bounded join."""

from __future__ import annotations

import threading
import time

import pytest

from aigc_demo.tasks.common.worker import END, Worker


def test_items_arrive_in_order_then_end_and_the_result():
    worker = Worker("test-worker", join_s=5)

    def work() -> str:
        for i in range(3):
            worker.emit(i)
        return "done"

    with worker.start(work):
        got = [worker.get(5) for _ in range(4)]
    assert got == [0, 1, 2, END]
    assert worker.result() == "done" and not worker.alive


def test_the_work_exception_is_raised_in_the_consumer_after_its_items():
    worker = Worker("test-worker", join_s=5)

    def work() -> None:
        worker.emit("partial")
        raise ValueError("model exploded")

    with worker.start(work):
        assert worker.get(5) == "partial"
        assert worker.get(5) is END
        with pytest.raises(ValueError, match="model exploded"):
            worker.reraise()


def test_each_thread_ends_with_its_own_end_and_carries_the_name():
    worker = Worker("test-named", join_s=5)
    names: list[str] = []

    def work(i: int) -> None:
        names.append(threading.current_thread().name)
        worker.emit(i)

    with worker:
        for i in range(3):
            worker.start(work, i)
        items = [worker.get(5) for _ in range(6)]
    assert sorted(i for i in items if i is not END) == [0, 1, 2] and items.count(END) == 3
    assert names == ["test-named"] * 3


def test_a_bounded_queue_holds_one_item_and_gives_up_on_stop():
    stop = threading.Event()
    worker = Worker("test-bounded", join_s=5, maxsize=1, stop=stop)
    handed: list[bool] = []

    def work() -> None:
        for i in range(3):
            handed.append(worker.emit(i))

    worker.start(work)
    assert worker.get(5) == 0
    while len(handed) < 2:  # 1 waits in the queue; the emit of 2 blocks
        time.sleep(0.01)
    assert handed == [True, True] and worker.alive
    worker.close()  # sets `stop`: the blocked emit returns False and the thread ends
    assert stop.is_set() and not worker.alive
    assert handed == [True, True, False]
    assert worker.get(0) == 1  # what was handed over is still there; no END after a stop


def test_close_waits_no_longer_than_join_s_for_a_stuck_thread():
    release = threading.Event()
    worker = Worker("test-stuck", join_s=0.2).start(release.wait)
    worker.close()
    assert worker.alive  # stuck, and left behind: the join was bounded
    release.set()
    assert worker.wait(5)
