"""Status machines as transition tables: the legal moves from each status, checked in one place."""

from collections.abc import Mapping

from loginexus.exceptions import IllegalTransition

TransitionTable = Mapping[str, tuple[str, ...]]


def allowed_targets(table: TransitionTable, current: str) -> tuple[str, ...]:
    return table.get(current, ())


def ensure_transition(*, table: TransitionTable, noun: str, current: str, target: str) -> None:
    """Raise `IllegalTransition` (409) naming the allowed moves unless current → target is legal."""
    allowed = allowed_targets(table, current)
    if target in allowed:
        return
    article = "An" if noun[:1] in "aeiou" else "A"
    if allowed:
        choices = ", ".join(allowed)
        message = f"{article} {noun} that is {current} can only become: {choices}."
    else:
        message = f"{article} {noun} that is {current} cannot change any more."
    raise IllegalTransition(
        message, extra={"current": current, "requested": target, "allowed": list(allowed)}
    )
