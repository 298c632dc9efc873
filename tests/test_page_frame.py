"""The frame of every page (templates/base.html): a skip link, the active section marked in the
nav, messages inside the content column where assistive technology announces them, and an error
summary first in an invalid form."""

import re

import pytest

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def test_a_skip_link_leads_to_the_main_content(admin_client_a):
    page = html(admin_client_a.get("/shipments/"))
    assert re.search(r'<a class="skip-link" href="#main">Skip to content</a>', page)
    assert '<main id="main" tabindex="-1"' in page
    assert page.index("skip-link") < page.index("<header")


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "Dashboard"),
        ("/shipments/", "Shipments"),
        ("/escrows/", "Escrows"),
        ("/team/", "Team"),
    ],
)
def test_the_nav_marks_the_section_the_page_is_in(admin_client_a, path, current):
    page = html(admin_client_a.get(path))
    marked = re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', page)
    assert marked == [current]


def test_messages_are_announced_inside_the_content_column(admin_client_a):
    admin_client_a.post("/accounts/profile/", {"name": "Ada", "language": "", "time_zone": ""})
    page = html(admin_client_a.get("/accounts/profile/"))
    main = page[page.index("<main") :]
    assert '<div class="messages" role="status" aria-live="polite">' in main
    assert re.search(
        r'<div class="message success"><div class="message-text">Your profile is saved.</div>', main
    )
    assert 'class="dismiss" aria-label="Dismiss this message"' in main


def test_an_invalid_form_starts_with_a_summary_linking_to_each_field(admin_client_a):
    page = html(admin_client_a.post("/accounts/profile/", {"language": "xx", "time_zone": "Mars"}))
    summary = page[page.index('class="error-summary"') :]
    assert 'role="alert" tabindex="-1"' in page
    assert "There are 2 problems with this form." in summary
    assert 'href="#id_language"' in summary and 'href="#id_time_zone"' in summary


def test_the_page_script_is_served_and_no_inline_script_is_needed(admin_client_a):
    page = html(admin_client_a.get("/"))
    assert '<script src="/static/js/page.js" defer></script>' in page
    assert "<script>" not in page
