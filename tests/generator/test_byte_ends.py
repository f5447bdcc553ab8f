"""`byte_ends.common_ends`: the common head and tail of two byte strings."""

from __future__ import annotations

from specfirst.byte_ends import BLOCK, common_ends


def test_the_common_ends_around_one_changed_byte_at_block_edges() -> None:
    old = b"abcdefghij" * 10_000
    for at in (0, 1, BLOCK - 1, BLOCK, BLOCK + 1, len(old) - 1):
        new = old[:at] + b"#" + old[at + 1 :]
        assert common_ends(old, new) == (at, len(old) - at - 1)


def test_the_tail_never_overlaps_the_head() -> None:
    old = b"abcdefghij" * 10_000
    assert common_ends(old, old) == (len(old), 0)
    assert common_ends(old, old + b"x") == (len(old), 0)
    assert common_ends(b"x" + old, old) == (0, len(old))
    assert common_ends(b"aaaa", b"aaaaaa") == (4, 0)
