"""The messages the product's own sources ask to translate, found without GNU gettext: Python
files read by Babel's extractor, templates first turned into gettext calls by Django's own
`templatize` (what `makemessages` feeds to xgettext). The catalogue test compares these with the
German catalogue, so a string wrapped but not translated fails the suite."""

import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_python

ROOT = Path(__file__).resolve().parents[2]
# The sources makemessages reads for the project catalogue (the same folders it is told to skip).
SKIPPED = {
    ".venv",
    "tests",
    "bench",
    "test-output",
    "staticfiles",
    "node_modules",
    ".data",
    "locale",
}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _sources(root: Path, suffix: str) -> Iterator[Path]:
    for path in sorted(root.rglob(f"*{suffix}")):
        if not SKIPPED.intersection(path.relative_to(root).parts):
            yield path


def _templatized(text: str) -> bytes:
    """A template as gettext calls among filler, each line unindented: the filler's indentation
    means nothing, and Python's tokenizer would stumble on it."""
    from django.utils.translation import templatize

    return "\n".join(line.lstrip() for line in templatize(text).splitlines()).encode("utf-8")


def _calls(source: bytes) -> Iterator[tuple[str | None, str, str | None]]:
    """(context, msgid, plural msgid) of each gettext call in Python source."""
    for _line, function, message, _comments in extract_python(
        io.BytesIO(source), list(KEYWORDS), [], {}
    ):
        if isinstance(message, str):
            message = (message,)
        if function.startswith(("pgettext", "npgettext")):
            context, *message = message
        else:
            context = None
        if not message or not message[0]:
            continue
        yield context, message[0], message[1] if len(message) > 1 else None


def source_messages(root: Path = ROOT) -> dict[tuple[str | None, str], str]:
    """Every (context, msgid) our sources use, with the file that uses it first."""
    found: dict[tuple[str | None, str], str] = {}
    for path in _sources(root, ".py"):
        if "migrations" in path.parts:
            continue
        for context, msgid, _plural in _calls(path.read_bytes()):
            found.setdefault((context, msgid), str(path.relative_to(root)))
    for path in _sources(root, ".html"):
        for context, msgid, _plural in _calls(_templatized(path.read_text(encoding="utf-8"))):
            found.setdefault((context, msgid), str(path.relative_to(root)))
    for path in _sources(root, ".txt"):
        if "templates" not in path.parts:
            continue
        for context, msgid, _plural in _calls(_templatized(path.read_text(encoding="utf-8"))):
            found.setdefault((context, msgid), str(path.relative_to(root)))
    return found
