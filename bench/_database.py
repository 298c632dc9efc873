"""A fresh, fully migrated database of its own for a benchmark (dropped and re-created each run)."""

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def use_fresh_database(name: str) -> None:
    """Point DATABASE_URL at an empty database `name`, then set Django up on it."""
    url = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(
        dbname="postgres",
        user=url.username or None,
        password=url.password or None,
        host=unquote(url.hostname or "") or None,
        port=url.port,
        autocommit=True,
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
