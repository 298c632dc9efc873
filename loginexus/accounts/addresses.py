"""One spelling of an email address for finding its account: what login looks up and what login
throttling counts, so no other spelling of an address reaches the account under another key."""

import unicodedata


def email_key(address: str) -> str:
    """NFKC, case-folded, NFKC again (Unicode's NFKC_Casefold, as identifiers are compared):
    fullwidth letters, compatibility forms and every case of an address become one key.

    Accounts are found by comparing this key exactly, never through the database's own case
    folding (PostgreSQL's UPPER() maps other characters together: U+017F, the long s, to 'S')."""
    folded = unicodedata.normalize("NFKC", str(address).strip()).casefold()
    return unicodedata.normalize("NFKC", folded)
