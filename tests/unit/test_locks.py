"""Per-key locks: shared while in use, freed afterwards."""

from __future__ import annotations

import asyncio
import gc

from bot.locks import KeyedLocks


async def test_one_lock_per_key_while_used_and_none_left_after():
    locks = KeyedLocks()
    order: list[str] = []

    async def work(name: str, key: int) -> None:
        async with locks(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(work("a", 1), work("b", 1), work("c", 2))
    # The two tasks on key 1 never overlapped; key 2 ran alongside.
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")
    gc.collect()
    assert len(locks) == 0 and locks.peek(1) is None


async def test_a_held_lock_is_the_one_handed_out_and_peeked():
    locks = KeyedLocks()
    async with locks("poll") as _:
        held = locks("poll")
        assert held.locked() and locks.peek("poll") is held and len(locks) == 1
    del held
    gc.collect()
    assert len(locks) == 0


async def test_many_discussions_leave_no_locks_behind():
    locks = KeyedLocks()
    for key in range(1000):
        async with locks(key):
            pass
    gc.collect()
    assert len(locks) == 0
