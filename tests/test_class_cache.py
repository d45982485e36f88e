"""The per-type cache of class facts never keeps a class alive, and never mistakes a new class for a dead one
that had the same address."""

from __future__ import annotations

import gc
import weakref

import llm_retry


def test_a_classified_class_can_be_collected() -> None:
    cls = type("Transient", (Exception,), {"status_code": 503})
    assert llm_retry.classify(cls()).status == 503
    dead = weakref.ref(cls)
    del cls
    gc.collect()
    assert dead() is None


def test_many_dropped_classes_are_not_kept() -> None:
    refs = []
    for i in range(5000):
        cls = type(f"Dropped{i}", (Exception,), {"status_code": 429})
        llm_retry.classify(cls())
        refs.append(weakref.ref(cls))
    del cls
    gc.collect()
    assert sum(r() is not None for r in refs) == 0


def test_a_new_class_at_a_dead_one_s_address_is_read_afresh() -> None:
    """CPython reuses the memory of a dead class for the next one: each must be read as itself."""
    addresses: set[int] = set()
    # Everything alive before the test is left out of its 300 collections: with the conformance suites'
    # SDKs imported into the same process, each full collection took 0.4 s (two minutes of CI).
    gc.freeze()
    try:
        for i in range(300):
            status = 500 + i % 100
            # The two shapes differ in where the status lives (class property vs instance dict), which is
            # what the cached view records: a stale view would read the wrong place.
            if i % 2:
                cls = type("Alternating", (Exception,), {"status_code": property(lambda self, s=status: s)})
                exc = cls()
            else:
                cls = type("Alternating", (Exception,), {})
                exc = cls()
                exc.status_code = status
            addresses.add(id(cls))
            assert llm_retry.classify(exc).status == status
            del cls, exc
            gc.collect()
    finally:
        gc.unfreeze()
    # The test means something only if addresses were in fact reused.
    assert len(addresses) < 300
