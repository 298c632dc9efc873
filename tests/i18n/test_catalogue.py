"""The German catalogue is complete: every message our sources ask to translate has a German
translation, none fuzzy, with the same placeholders (`make test` fails on a missing one)."""

from babel.messages.pofile import read_po
from django.conf import settings

from loginexus.i18n.extract import source_messages

CATALOGUE = settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"


def german():
    with CATALOGUE.open("rb") as source:
        return read_po(source, locale="de")


def test_every_message_of_the_sources_is_translated_into_german():
    catalogue = german()
    missing = []
    for (context, msgid), where in sorted(source_messages().items(), key=lambda i: i[1]):
        entry = catalogue.get(msgid, context=context)
        strings = entry.string if entry is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} messages without German:\n" + "\n".join(missing[:40])


def test_no_german_message_is_fuzzy_or_loses_a_placeholder():
    catalogue = german()
    fuzzy = [entry.id for entry in catalogue if entry.id and entry.fuzzy]
    broken = [(entry.id, [str(error) for error in errors]) for entry, errors in catalogue.check()]
    assert (fuzzy, broken) == ([], [])


def test_the_extraction_finds_template_and_python_messages():
    found = source_messages()
    assert (None, "Skip to content") in found  # {% translate %} in base.html
    assert (None, "There is a problem with this form.") in found  # {% blocktranslate count %}
    assert (None, "Your profile is saved.") in found  # gettext in a view
