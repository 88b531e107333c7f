"""After warming up, the bot hands back to the system the heap it used and freed."""

import sys

import pytest

from bot.bootstrap import build_services, release_freed_memory

MIB = 1024 * 1024


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_freed_heap_goes_back_to_the_system():
    # Blocks above pymalloc's 512 bytes come from malloc; one kept at the end of the heap stops
    # free() from shrinking it, as the objects kept after warming up do.
    blocks = [bytes(1024) for _ in range(100_000)]
    kept = blocks[-1]
    del blocks
    before = resident_bytes()
    release_freed_memory()
    assert before - resident_bytes() > 50 * MIB
    assert kept == bytes(1024)


def test_warming_up_ends_by_releasing_the_freed_heap(tmp_path, released_memory):
    services = build_services(database=f"sqlite:///{tmp_path / 'bot.db'}", warm=False)
    try:
        assert released_memory == []
        services.warm_up()
        assert released_memory == ["released"] and services.warmed
    finally:
        services.close()
