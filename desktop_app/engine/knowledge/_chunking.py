"""Cutting text into overlapping chunks for the knowledge index."""

from __future__ import annotations

from collections.abc import Iterator


def chunk_text(text: str, size: int, overlap: int) -> list[str]:
    """Cuts `text` into chunks of at most `size` characters; each chunk starts with the last
    `overlap` characters of the one before it.

    A chunk ends at the last whitespace of its final quarter where there is one, so words
    are rarely cut; the overlap is still exactly `overlap` characters.

    Raises:
        ValueError: `overlap` is not smaller than `size`.
    """
    if not 0 <= overlap < size:
        raise ValueError(
            f"chunk_overlap ({overlap}) must be at least 0 and below chunk_size ({size})"
        )
    return [piece for piece in _pieces(text, size, overlap) if piece.strip()]


def _pieces(text: str, size: int, overlap: int) -> Iterator[str]:
    start = 0
    length = len(text)
    while start < length:
        end = min(start + size, length)
        if end < length:
            end = _snap(text, start, end, overlap, size)
        yield text[start:end]
        if end >= length:
            return
        start = end - overlap


def _snap(text: str, start: int, end: int, overlap: int, size: int) -> int:
    """Moves `end` back to just after a whitespace in the chunk's last quarter, if any."""
    floor = max(start + overlap + 1, start + size * 3 // 4)
    for position in range(end, floor - 1, -1):
        if text[position - 1].isspace():
            return position
    return end
