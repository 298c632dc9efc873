"""Which section of the header's navigation a page belongs to, so the nav can mark it
(`aria-current="page"`)."""

SECTIONS = (
    ("/shipments/", "shipments"),
    ("/escrows/", "escrows"),
    ("/team/", "team"),
    ("/settings/", "settings"),
    ("/billing/", "billing"),
    ("/accounts/profile/", "profile"),
    ("/accounts/", "profile"),
)


def section(request) -> dict:
    path = request.path
    if path == "/":
        return {"nav_section": "dashboard"}
    for prefix, name in SECTIONS:
        if path.startswith(prefix):
            return {"nav_section": name}
    return {"nav_section": ""}
