"""Status machines as transition tables: the legal moves from each status, checked in one place."""

from collections.abc import Callable, Mapping

from loginexus.exceptions import IllegalTransition

TransitionTable = Mapping[str, tuple[str, ...]]


def allowed_targets(table: TransitionTable, current: str) -> tuple[str, ...]:
    return table.get(current, ())


def ensure_transition(
    *,
    table: TransitionTable,
    current: str,
    target: str,
    label: Callable[[str], str],
    can_only_become: str,
    cannot_change: str,
) -> None:
    """Raise `IllegalTransition` (409) naming the allowed moves unless current → target is legal.

    The message names statuses as people read them (`label(code)`, e.g. "In transit"): the
    caller's `can_only_become` with %(current)s and %(allowed)s, or `cannot_change` with
    %(current)s for a status that has no way out. The codes stay in `current`, `requested` and
    `allowed` for programs.
    """
    allowed = allowed_targets(table, current)
    if target in allowed:
        return
    if allowed:
        names = ", ".join(str(label(status)) for status in allowed)
        message = can_only_become % {"current": label(current), "allowed": names}
    else:
        message = cannot_change % {"current": label(current)}
    raise IllegalTransition(
        message, extra={"current": current, "requested": target, "allowed": list(allowed)}
    )
