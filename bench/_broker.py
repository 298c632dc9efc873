"""What a benchmark queued on Celery's broker goes with it: the tasks still queued when it exits
are purged, so no later benchmark's worker runs tasks of a database that is gone. (`make bench`
gives the benchmarks a Redis of their own: nobody else's tasks are there.)"""

import atexit


def purge_queued_tasks_at_exit() -> None:
    atexit.register(_purge)


def _purge() -> None:
    from loginexus.celery import app

    purged = app.control.purge()
    if purged:
        print(f"  ({purged} task(s) this benchmark queued were purged)", flush=True)
