from __future__ import annotations

import multiprocessing

from middleware.ids import new_id


def test_ids_are_unique_and_fixed_width() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {32}
    assert all(int(i, 16) >= 0 for i in ids[:10])


def _child_ids(queue: multiprocessing.Queue[list[str]]) -> None:
    queue.put([new_id() for _ in range(100)])


def test_forked_processes_do_not_repeat_ids() -> None:
    mine = {new_id() for _ in range(100)}
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[str]] = ctx.Queue()
    child = ctx.Process(target=_child_ids, args=(queue,))
    child.start()
    theirs = set(queue.get(timeout=10))
    child.join(timeout=10)
    assert len(theirs) == 100
    assert not mine & theirs
