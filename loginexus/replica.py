"""Where staff-only heavy reads go: the hot standby while it keeps up with the primary, else the
primary.

Reads choose the standby explicitly, `.using(staff_reads())`, at the few places that may show
data a few seconds old: platform metrics, the staff list of tenants, the nightly reconcile's
selection. Nothing else does, and `PrimaryRouter` keeps everything else on the primary: a
tenant reads what it has just written, which a standby may not have replayed yet.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
# How long a process keeps its answer: the check is one query on the standby.
CHECK_EVERY_SECONDS = 1.0

logger = logging.getLogger(__name__)

# How far the standby's data is behind the primary's, in seconds: none when it has replayed all
# it received; else since the last transaction it replayed committed on the primary (NULL when
# it never replayed one). That holds only while it streams from the primary: cut off, it has
# replayed all it received and knows nothing of what it misses. A server not in recovery is not
# a standby (promoted, or the wrong server): its data goes its own way.
_STANDBY_STATE = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END,
       EXISTS (SELECT FROM pg_stat_wal_receiver),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""

_checking = threading.Lock()
_answer = DEFAULT_DB_ALIAS
_checked_at = float("-inf")


def staff_reads() -> str:
    """The database alias for a staff-only read that may be a few seconds old: "replica" when one
    is configured, reachable, replaying and behind the primary by at most
    REPLICA_MAX_LAG_SECONDS; else "default". Asked of the standby at most once a second per
    process; meanwhile, and while another thread asks, the last answer stands, unless a query on
    the standby failed in this thread: then it is asked again at once (on a new connection), so
    that a standby that went away costs one failed read, not a second of them."""
    global _answer, _checked_at
    if REPLICA not in settings.DATABASES:
        return DEFAULT_DB_ALIAS
    if time.monotonic() - _checked_at < CHECK_EVERY_SECONDS:
        standby = connections[REPLICA]
        if _answer != REPLICA or not standby.errors_occurred:
            return _answer
        standby.close()  # the next connection starts without the error
    if not _checking.acquire(blocking=False):
        return _answer
    try:
        answer, reason = _standby_answer()
        if answer != _answer:
            level = logging.INFO if answer == REPLICA else logging.WARNING
            logger.log(level, "Staff reads go to %s: %s", answer, reason)
        _answer, _checked_at = answer, time.monotonic()
    finally:
        _checking.release()
    return _answer


def _standby_answer() -> tuple[str, str]:
    standby = connections[REPLICA]
    try:
        with standby.cursor() as cursor:
            cursor.execute(_STANDBY_STATE)
            in_recovery, pause_state, streaming, lag = cursor.fetchone()
    except DatabaseError as error:
        # Unreachable, or gone since the last check: the next check connects afresh.
        standby.close()
        return DEFAULT_DB_ALIAS, f"the standby is unreachable ({error})"
    if not in_recovery:
        return DEFAULT_DB_ALIAS, "the replica database is not a standby (promoted?)"
    if pause_state != "not paused":
        # Paused on purpose (a consistent dump, an investigation): it no longer catches up.
        return DEFAULT_DB_ALIAS, f"the standby's replay is {pause_state}"
    if not streaming:
        return DEFAULT_DB_ALIAS, "the standby is not streaming from the primary"
    if lag is None:
        return DEFAULT_DB_ALIAS, "how far the standby is behind is not known yet"
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return DEFAULT_DB_ALIAS, f"the standby is {lag:.1f} s behind the primary"
    return REPLICA, f"the standby is {lag:.1f} s behind the primary"


class PrimaryRouter:
    """Every read and write the primary's unless the query names its database.

    Without a router a row read from the standby would take its database along: its related
    rows would be read there too, and saving it would write to a standby (an error). Reads that
    may go to the standby say so with `.using(staff_reads())`; what they load reads its
    relations, and writes, on the primary. Rows of both databases are the same rows.
    """

    def db_for_read(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # A standby replays the primary's schema; it is never migrated itself.
        return False if db == REPLICA else None
