"""Object ids with Stripe's prefixes and lengths (``cus_…``, ``sub_1…``, ``cs_test_a1…``)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits

# Stripe's newer objects carry a "1" + 23-character body; older kinds a 14-character body.
_LONG_PREFIXES = {
    "price",
    "sub",
    "sub_sched",
    "in",
    "pm",
    "evt",
    "we",
    "bps",
    "bpc",
    "clock",
    "il",
    "pi",
    "ii",
    "txn",
    "txi",
    "promo",
    "di",
}


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    if prefix == "cs":
        return "cs_test_a1" + random_token(56)
    if prefix == "ch":
        return "ch_3" + random_token(23)
    if prefix == "acct":
        return "acct_1" + random_token(15)
    if prefix == "mtr":
        return "mtr_test_61" + random_token(24)
    if prefix == "mtrusg":
        return "mtrusg_test_61" + random_token(24)
    if prefix == "feat":
        return "feat_test_" + random_token(32)
    if prefix in _LONG_PREFIXES:
        return f"{prefix}_1" + random_token(23)
    return f"{prefix}_" + random_token(14)


def new_webhook_secret() -> str:
    return "whsec_" + random_token(32)


def new_request_id() -> str:
    return "req_" + random_token(14)
