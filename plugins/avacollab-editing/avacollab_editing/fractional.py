"""Fractional indexing: order keys that always leave room between two siblings.

A key is a non-empty string of base-62 digits (``0-9A-Za-z``, compared as plain
strings, so ASCII order is numeric order) read as a fraction in (0, 1). Every
generated key ends with a *salt* derived from the writing replica, so two
replicas inserting between the same two siblings at the same time produce two
different keys, and later inserts can still go between them.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
SALT_LENGTH = 4
MAX_KEY_LENGTH = 256

_INDEX = {c: i for i, c in enumerate(DIGITS)}


class OrderKeyError(ValueError):
    """An order key is malformed or two bounds are not in increasing order."""


def is_key(key: object) -> bool:
    """Whether ``key`` is a well-formed order key."""
    return (
        isinstance(key, str)
        and 0 < len(key) <= MAX_KEY_LENGTH
        and key[-1] != "0"
        and _INDEX.keys() >= set(key)  # every node's key is checked on each read: keep it cheap
    )


def salt_for(client_id: int) -> str:
    """A short replica-specific suffix; its last digit is never ``0``.

    A key ending in ``0`` would leave no room below it (nothing lies between
    ``""`` and ``"0"``), so the last digit is taken from 1..61.
    """
    last = DIGITS[1 + client_id % (BASE - 1)]
    rest = client_id // (BASE - 1)
    head = []
    for _ in range(SALT_LENGTH - 1):
        head.append(DIGITS[rest % BASE])
        rest //= BASE
    return "".join(head) + last


def key_between(low: str | None, high: str | None, salt: str) -> str:
    """A key strictly between ``low`` and ``high`` (``None`` means open end).

    Deterministic: the same bounds and salt always give the same key.
    Appending after the last sibling or prepending before the first steps a
    counter whose width grows with the run of ``z`` (or ``0``) digits in front
    of it, so ``n`` appends make keys of about ``2 * log62(n) + 6`` characters
    (20,000 appends: 10). Raises OrderKeyError when the bounds are malformed or
    out of order, or when the key would be longer than MAX_KEY_LENGTH.
    """
    _check_salt(salt)
    lo = _checked(low, "low") if low is not None else ""
    hi = _checked(high, "high") if high is not None else None
    if hi is not None and lo >= hi:
        raise OrderKeyError(f"order keys out of order: {low!r} >= {high!r}")
    room = MAX_KEY_LENGTH - len(salt)
    if hi is None and lo:
        head = _after(lo, room)
    elif hi is not None and not lo:
        head = _before(hi, room)
    else:
        # Between two keys, or the first key of all.
        head = _midpoint(lo, hi)
    if len(head) > room:
        raise OrderKeyError(f"no room for an order key between {low!r} and {high!r}")
    # Every head is above lo and below hi at one of its own digits, so any
    # extension of it (the salt) stays strictly between them.
    return head + salt


def keys_between(low: str | None, high: str | None, count: int, salt: str) -> list[str]:
    """``count`` increasing keys strictly between ``low`` and ``high``.

    Used for bulk inserts (import): the keys share one prefix and then spread
    evenly over a fixed width, so importing many siblings keeps keys short.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    _check_salt(salt)
    if count == 0:
        return []
    prefix = key_between(low, high, salt)[: -len(salt)]
    width = 1
    while BASE**width <= count:
        width += 1
    span = BASE**width
    # Fixed width means no key is a prefix of another, so the salt can't reorder them.
    return [_fixed(prefix, (i + 1) * span // (count + 1), width) + salt for i in range(count)]


def _fixed(prefix: str, value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        digits.append(DIGITS[value % BASE])
        value //= BASE
    return prefix + "".join(reversed(digits))


def _after(lo: str, room: int) -> str:
    """A head above ``lo`` (non-empty) for appending, at most ``room`` digits.

    ``lo`` is read as a run of ``i`` digits ``z`` and then a counter of
    ``i + 2`` digits (padded with ``0``), which is incremented. Stepping by
    one at the shortest length (the old rule) spent one digit of the run
    every sixty appends; here the counter only overflows into a longer run
    after 61 * 62**(i + 1) appends, so keys grow logarithmically. The
    counter's first digit is below ``z``, so the increment never carries out
    of it, and an overflow leaves a ``0`` after the run: a salt of ``z``
    digits after it cannot lengthen the run.
    """
    run = len(lo) - len(lo.lstrip("z"))
    width = min(run + 2, room - run)  # near the length limit, use what is left
    if width < 1:
        raise OrderKeyError(f"no room for an order key after {lo!r}")
    return lo[:run] + _step(lo[run : run + width].ljust(width, "0"), 1)


def _before(hi: str, room: int) -> str:
    """A head below ``hi`` for prepending: ``_after`` mirrored (a run of ``0``, decremented).

    ``hi`` does not end in ``0``, so a non-zero digit follows the run and the
    decrement never borrows out of the counter; the head is below ``hi`` at
    one of ``hi``'s own digits, so it is not a prefix of ``hi``.
    """
    run = len(hi) - len(hi.lstrip("0"))
    width = min(run + 2, room - run)
    if width < 1:
        raise OrderKeyError(f"no room for an order key before {hi!r}")
    return hi[:run] + _step(hi[run : run + width].ljust(width, "0"), -1)


def _step(counter: str, delta: int) -> str:
    """``counter`` (base-62 digits) plus ``delta`` (1 or -1), same width.

    The callers never let it carry out of the first digit or borrow past it.
    """
    digits = [_INDEX[c] for c in counter]
    i = len(digits) - 1
    digits[i] += delta
    while not 0 <= digits[i] < BASE:  # carry or borrow into the next digit up
        digits[i] -= delta * BASE
        i -= 1
        digits[i] += delta
    return "".join(DIGITS[d] for d in digits)


def _midpoint(lo: str, hi: str | None, *, outer: bool = True) -> str:
    """A digit string strictly between lo and hi that is not a prefix of hi.

    lo may be "" (zero); hi None means one. Requires lo < hi and hi not ending
    in "0". ``outer`` is false below the first digit of a key that has a
    neighbour on both sides.
    """
    if hi is not None:
        # Skip the common prefix, reading lo as padded with zeros.
        n = 0
        while n < len(hi) and (lo[n] if n < len(lo) else "0") == hi[n]:
            n += 1
        if n:
            return hi[:n] + _midpoint(lo[n:], hi[n:], outer=outer)
    d_lo = _INDEX[lo[0]] if lo else 0
    d_hi = _INDEX[hi[0]] if hi is not None else BASE
    if d_hi - d_lo > 1:
        # Below a key that extends lo, step by one to keep keys short. Else
        # halve the gap: stepping by one here would leave almost no room
        # next to lo, and inserting there again and again (say, always at
        # the same index) would grow keys by a few digits each time.
        stepped = outer and hi is not None and not lo
        digit = d_hi - 1 if stepped else (d_lo + d_hi) // 2
        return DIGITS[digit]
    # Adjacent first digits: keep lo's digit and go above the rest of lo,
    # which is still bounded above (by hi) unless we are appending.
    above_lo = DIGITS[d_lo] + _midpoint(lo[1:], None, outer=False)
    if hi is None or len(hi) == 1:
        return above_lo
    # Or keep hi's digit and go below the rest of hi, if that is shorter: a
    # salt full of high digits leaves little room above lo, and going above
    # it again and again would grow keys by a few digits each time.
    below_hi = DIGITS[d_hi] + _midpoint("", hi[1:], outer=False)
    return below_hi if len(below_hi) < len(above_lo) else above_lo


def _checked(key: str, name: str) -> str:
    if not is_key(key):
        raise OrderKeyError(f"{name} is not a valid order key: {key!r}")
    return key


def _check_salt(salt: str) -> None:
    if not salt or not is_key(salt):
        raise OrderKeyError(f"invalid salt: {salt!r}")
