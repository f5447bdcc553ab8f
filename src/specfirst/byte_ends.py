"""The common head and tail of two byte strings, for telling what an edit changed in a large
file (the contract's bytes against the last run's, a models module against the one its
formatted bundle was made from) with a few dozen slice compares in C instead of a byte loop."""

from __future__ import annotations

from collections.abc import Callable

BLOCK = 1 << 16  # bytes compared at a time before the differing block is halved


def common_ends(old: bytes, new: bytes) -> tuple[int, int]:
    """(head, tail): how many bytes `old` and `new` have in common at their start, and at their
    end without overlapping the head (so head + tail <= the shorter length)."""
    size = min(len(old), len(new))
    head = _common(old, new, size, lambda a, b: (a, b), 0)
    shift = len(new) - len(old)
    tail = _common(old, new, size - head, lambda a, b: (len(old) - b, len(old) - a), shift)
    return head, tail


def _common(
    old: bytes, new: bytes, size: int, span: Callable[[int, int], tuple[int, int]], shift: int
) -> int:
    """How many bytes from one end the two have in common, at most `size`: `span` turns a
    range of counts from that end into `old`'s offsets (`new`'s are `shift` further)."""

    def same(a: int, b: int) -> bool:
        start, end = span(a, b)
        return old[start:end] == new[start + shift : end + shift]

    done = 0
    while done < size and same(done, min(done + BLOCK, size)):
        done = min(done + BLOCK, size)
    if done < size:  # the first differing byte is in [done, high): halve until it is found
        high = min(done + BLOCK, size)
        while high - done > 1:
            middle = (done + high) // 2
            if same(done, middle):
                done = middle
            else:
                high = middle
    return done
