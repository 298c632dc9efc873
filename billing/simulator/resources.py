"""API handlers for the catalogue and plumbing: account, customers, products, prices, payment
methods, charges, features, events, webhook endpoints and test clocks."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import objects
from .currencies import currency_options_from_params
from .customer_resources import customer_delete
from .errors import InvalidParameter, InvalidRequest, MissingParam
from .events import previous_attributes
from .forms import as_bool, as_int, as_list, as_metadata, merge_metadata
from .ids import new_webhook_secret
from .param_fields import set_product_shipping
from .routing import route
from .store import deleted_stub, listing, paginate

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]


def _listing(api: Api, kind: str, params: Params, url: str, keep: Any = None) -> dict[str, Any]:
    return listing(api.state, kind, params, url, keep)


# -- account --------------------------------------------------------------------------------


@route("GET", "/v1/account")
def account_retrieve(api: Api, params: Params) -> dict[str, Any]:
    return api.state.all("account")[0]


@route("GET", "/v1/accounts")
def account_list(api: Api, params: Params) -> dict[str, Any]:
    """Connected accounts: none (Connect is not simulated). The account itself is never listed,
    as in Stripe; dj-stripe's ``djstripe_sync_models`` lists these before syncing anything."""
    return paginate([], params, "/v1/accounts")


@route("GET", "/v1/accounts/{account}")
def account_retrieve_by_id(api: Api, params: Params, account: str) -> dict[str, Any]:
    return api.state.get("account", account, param="account")


# -- products, prices and features ---------------------------------------------------------


@route("POST", "/v1/products")
def product_create(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("name"):
        raise MissingParam("name")
    if params.get("id") and api.state.find("product", params["id"]):
        raise InvalidRequest("Product already exists.", code="resource_already_exists", param="id")
    at = api.billing.now()
    product = objects.product(created=at, params=params)
    product["metadata"] = as_metadata(params.get("metadata"))
    if "active" in params:
        product["active"] = as_bool(params["active"], "active")
    set_product_shipping(product, params)
    api.state.add(product)
    api.billing.emit("product.created", product, at=at)
    default_price = params.get("default_price_data")
    if isinstance(default_price, dict):
        price = _price_from_params(api, {**default_price, "product": product["id"]}, at)
        product["default_price"] = price["id"]
    return product


@route("GET", "/v1/products/{product}")
def product_retrieve(api: Api, params: Params, product: str) -> dict[str, Any]:
    return api.state.get("product", product)


@route("POST", "/v1/products/{product}")
def product_update(api: Api, params: Params, product: str) -> dict[str, Any]:
    obj = api.state.get("product", product)
    at = api.billing.now()
    before = copy.deepcopy(obj)
    for key in ("name", "description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if key in params:
            obj[key] = params[key] or None
    if "images" in params:
        obj["images"] = [str(image) for image in as_list(params["images"] or None, "images")]
    if "active" in params:
        obj["active"] = as_bool(params["active"], "active")
    set_product_shipping(obj, params)
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    if "default_price" in params:
        if params["default_price"]:
            api.state.get("price", params["default_price"], param="default_price")
        obj["default_price"] = params["default_price"] or None
    if "marketing_features" in params:
        obj["marketing_features"] = [
            {"name": f.get("name")}
            for f in as_list(params["marketing_features"], "marketing_features")
        ]
    changes = previous_attributes(before, obj)
    if changes:
        obj["updated"] = at
        api.billing.emit("product.updated", obj, at=at, previous=changes)
    api.state.mark_dirty()
    return obj


@route("DELETE", "/v1/products/{product}")
def product_delete(api: Api, params: Params, product: str) -> dict[str, Any]:
    obj = api.state.get("product", product)
    if any(p["product"] == product for p in api.state.all("price")):
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    obj["_deleted"] = True
    api.billing.emit("product.deleted", obj, at=api.billing.now())
    return deleted_stub(obj)


@route("GET", "/v1/products")
def product_list(api: Api, params: Params) -> dict[str, Any]:
    active = as_bool(params["active"], "active") if "active" in params else None
    shippable = as_bool(params["shippable"], "shippable") if "shippable" in params else None
    ids = set(as_list(params.get("ids"), "ids")) or None
    product_type, url = params.get("type"), params.get("url")
    return _listing(
        api,
        "product",
        params,
        "/v1/products",
        lambda p: (
            (active is None or p["active"] == active)
            and (ids is None or p["id"] in ids)
            and (shippable is None or p["shippable"] == shippable)
            and (product_type is None or p["type"] == product_type)
            and (url is None or p["url"] == url)
        ),
    )


def _price_from_params(api: Api, params: Params, at: int) -> dict[str, Any]:
    if not params.get("currency"):
        raise MissingParam("currency")
    product_data = params.get("product_data")
    if isinstance(product_data, dict):
        product = product_create(api, product_data)
        product_id = product["id"]
    elif params.get("product"):
        product_id = api.state.get("product", params["product"], param="product")["id"]
    else:
        raise MissingParam("product")
    if "unit_amount" not in params:
        raise MissingParam("unit_amount")
    recurring = None
    if isinstance(params.get("recurring"), dict):
        interval = params["recurring"].get("interval")
        if interval not in ("day", "week", "month", "year"):
            raise InvalidParameter(
                f"Invalid recurring[interval]: {interval}", param="recurring[interval]"
            )
        usage_type = params["recurring"].get("usage_type", "licensed")
        meter = params["recurring"].get("meter") or None
        if usage_type == "metered" and meter is None:
            raise InvalidRequest(
                "A meter is required for a price with `recurring[usage_type]=metered`.",
                param="recurring[meter]",
            )
        if usage_type != "metered" and meter is not None:
            raise InvalidRequest(
                "A meter can only be set on a price with `recurring[usage_type]=metered`.",
                param="recurring[meter]",
            )
        if meter is not None:
            api.state.get("billing.meter", meter, param="recurring[meter]")
        recurring = {
            "interval": interval,
            "interval_count": as_int(
                params["recurring"].get("interval_count", 1), "recurring[interval_count]"
            ),
            "meter": meter,
            "trial_period_days": None,
            "usage_type": usage_type,
        }
    lookup_key = params.get("lookup_key") or None
    if lookup_key:
        holder = next((p for p in api.state.all("price") if p["lookup_key"] == lookup_key), None)
        if holder is not None:
            if params.get("transfer_lookup_key") not in ("true", True):
                raise InvalidRequest(
                    f"A price (`{holder['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            before = copy.deepcopy(holder)
            holder["lookup_key"] = None
            api.billing.emit(
                "price.updated", holder, at=at, previous=previous_attributes(before, holder)
            )
    price = objects.price(
        created=at,
        product_id=product_id,
        currency=str(params["currency"]).lower(),
        unit_amount=as_int(params["unit_amount"], "unit_amount"),
        recurring=recurring,
        lookup_key=lookup_key,
        nickname=params.get("nickname"),
    )
    price["metadata"] = as_metadata(params.get("metadata"))
    if "active" in params:
        price["active"] = as_bool(params["active"], "active")
    if params.get("tax_behavior"):
        price["tax_behavior"] = params["tax_behavior"]
    price["_currency_options"] = currency_options_from_params(
        params.get("currency_options"), currency=price["currency"]
    )
    api.state.add(price)
    api.billing.emit("price.created", price, at=at)
    return price


@route("POST", "/v1/prices")
def price_create(api: Api, params: Params) -> dict[str, Any]:
    return _price_from_params(api, params, api.billing.now())


@route("GET", "/v1/prices/{price}")
def price_retrieve(api: Api, params: Params, price: str) -> dict[str, Any]:
    return api.state.get("price", price)


@route("POST", "/v1/prices/{price}")
def price_update(api: Api, params: Params, price: str) -> dict[str, Any]:
    obj = api.state.get("price", price)
    at = api.billing.now()
    before = copy.deepcopy(obj)
    if "active" in params:
        obj["active"] = as_bool(params["active"], "active")
    if "nickname" in params:
        obj["nickname"] = params["nickname"] or None
    if params.get("tax_behavior"):
        obj["tax_behavior"] = params["tax_behavior"]
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    if "lookup_key" in params:
        key = params["lookup_key"] or None
        holder = next(
            (
                p
                for p in api.state.all("price")
                if key and p["lookup_key"] == key and p["id"] != price
            ),
            None,
        )
        if holder is not None:
            if params.get("transfer_lookup_key") not in ("true", True):
                raise InvalidRequest(
                    f"A price (`{holder['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            holder["lookup_key"] = None
        obj["lookup_key"] = key
    changes = previous_attributes(before, obj)
    if changes:
        api.billing.emit("price.updated", obj, at=at, previous=changes)
    api.state.mark_dirty()
    return obj


@route("GET", "/v1/prices")
def price_list(api: Api, params: Params) -> dict[str, Any]:
    active = as_bool(params["active"], "active") if "active" in params else None
    product = params.get("product")
    lookup_keys = set(as_list(params.get("lookup_keys"), "lookup_keys")) or None
    price_type = params.get("type")
    currency = params.get("currency")
    return _listing(
        api,
        "price",
        params,
        "/v1/prices",
        lambda p: (
            (active is None or p["active"] == active)
            and (product is None or p["product"] == product)
            and (lookup_keys is None or p["lookup_key"] in lookup_keys)
            and (price_type is None or p["type"] == price_type)
            and (currency is None or p["currency"] == currency)
        ),
    )


@route("POST", "/v1/entitlements/features")
def feature_create(api: Api, params: Params) -> dict[str, Any]:
    for required in ("name", "lookup_key"):
        if not params.get(required):
            raise MissingParam(required)
    feature = objects.entitlement_feature(params=params)
    feature["metadata"] = as_metadata(params.get("metadata"))
    return api.state.add(feature)


@route("GET", "/v1/entitlements/features")
def feature_list(api: Api, params: Params) -> dict[str, Any]:
    archived = as_bool(params["archived"], "archived") if "archived" in params else None
    lookup_key = params.get("lookup_key")
    return _listing(
        api,
        "entitlements.feature",
        params,
        "/v1/entitlements/features",
        lambda f: (
            (archived is None or f["active"] != archived)
            and (lookup_key is None or f["lookup_key"] == lookup_key)
        ),
    )


@route("GET", "/v1/entitlements/features/{feature}")
def feature_retrieve(api: Api, params: Params, feature: str) -> dict[str, Any]:
    return api.state.get("entitlements.feature", feature)


@route("POST", "/v1/products/{product}/features")
def product_feature_attach(api: Api, params: Params, product: str) -> dict[str, Any]:
    api.state.get("product", product)
    if not params.get("entitlement_feature"):
        raise MissingParam("entitlement_feature")
    feature = api.state.get(
        "entitlements.feature", params["entitlement_feature"], param="entitlement_feature"
    )
    attached = {
        "id": "prodft_" + feature["id"].removeprefix("feat_test_")[:24],
        "object": "product_feature",
        "entitlement_feature": copy.deepcopy(feature),
        "livemode": False,
        "_product": product,
    }
    return api.state.add(attached)


@route("GET", "/v1/products/{product}/features")
def product_feature_list(api: Api, params: Params, product: str) -> dict[str, Any]:
    api.state.get("product", product)
    items = [f for f in api.state.all("product_feature") if f["_product"] == product]
    return paginate(items, params, f"/v1/products/{product}/features")


# -- events and webhook endpoints ----------------------------------------------------------


@route("GET", "/v1/events/{event}")
def event_retrieve(api: Api, params: Params, event: str) -> dict[str, Any]:
    return api.state.get("event", event)


@route("GET", "/v1/events")
def event_list(api: Api, params: Params) -> dict[str, Any]:
    wanted = params.get("type")
    types = set(as_list(params.get("types"), "types")) or None

    def keep(event: dict[str, Any]) -> bool:
        if wanted is not None:
            if wanted.endswith("*"):
                if not event["type"].startswith(wanted[:-1]):
                    return False
            elif event["type"] != wanted:
                return False
        return types is None or event["type"] in types

    return _listing(api, "event", params, "/v1/events", keep)


def _enabled_events(value: Any) -> list[str]:
    events = [str(e) for e in as_list(value, "enabled_events")]
    if not events:
        raise MissingParam("enabled_events")
    return events


@route("POST", "/v1/webhook_endpoints")
def webhook_endpoint_create(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("url"):
        raise MissingParam("url")
    endpoint = objects.webhook_endpoint(
        created=api.billing.now(),
        url=params["url"],
        enabled_events=_enabled_events(params.get("enabled_events")),
        description=params.get("description"),
        secret=new_webhook_secret(),
        api_version=params.get("api_version"),
    )
    endpoint["metadata"] = as_metadata(params.get("metadata"))
    api.state.add(endpoint)
    # Stripe shows the signing secret only in the answer to the create call.
    return {**endpoint, "secret": endpoint["_secret"]}


@route("GET", "/v1/webhook_endpoints/{webhook_endpoint}")
def webhook_endpoint_retrieve(api: Api, params: Params, webhook_endpoint: str) -> dict[str, Any]:
    return api.state.get("webhook_endpoint", webhook_endpoint)


@route("POST", "/v1/webhook_endpoints/{webhook_endpoint}")
def webhook_endpoint_update(api: Api, params: Params, webhook_endpoint: str) -> dict[str, Any]:
    endpoint = api.state.get("webhook_endpoint", webhook_endpoint)
    if "url" in params:
        endpoint["url"] = params["url"]
    if "enabled_events" in params:
        endpoint["enabled_events"] = _enabled_events(params["enabled_events"])
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if as_bool(params["disabled"], "disabled") else "enabled"
    if "metadata" in params:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], params["metadata"])
    api.state.mark_dirty()
    return endpoint


@route("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}")
def webhook_endpoint_delete(api: Api, params: Params, webhook_endpoint: str) -> dict[str, Any]:
    endpoint = api.state.get("webhook_endpoint", webhook_endpoint)
    endpoint["_deleted"] = True
    api.state.mark_dirty()
    return deleted_stub(endpoint)


@route("GET", "/v1/webhook_endpoints")
def webhook_endpoint_list(api: Api, params: Params) -> dict[str, Any]:
    return _listing(api, "webhook_endpoint", params, "/v1/webhook_endpoints")


# -- test clocks ---------------------------------------------------------------------------


@route("POST", "/v1/test_helpers/test_clocks")
def test_clock_create(api: Api, params: Params) -> dict[str, Any]:
    if "frozen_time" not in params:
        raise MissingParam("frozen_time")
    clock = objects.test_clock(
        created=api.billing.now(),
        frozen_time=as_int(params["frozen_time"], "frozen_time"),
        name=params.get("name"),
    )
    api.state.add(clock)
    api.billing.emit("test_helpers.test_clock.created", clock, at=clock["created"])
    return clock


@route("GET", "/v1/test_helpers/test_clocks/{test_clock}")
def test_clock_retrieve(api: Api, params: Params, test_clock: str) -> dict[str, Any]:
    return api.state.get("test_helpers.test_clock", test_clock)


@route("GET", "/v1/test_helpers/test_clocks")
def test_clock_list(api: Api, params: Params) -> dict[str, Any]:
    return _listing(api, "test_helpers.test_clock", params, "/v1/test_helpers/test_clocks")


@route("DELETE", "/v1/test_helpers/test_clocks/{test_clock}")
def test_clock_delete(api: Api, params: Params, test_clock: str) -> dict[str, Any]:
    clock = api.state.get("test_helpers.test_clock", test_clock)
    at = clock["frozen_time"]
    for customer in api.state.all("customer"):
        if customer["test_clock"] == test_clock:
            customer_delete(api, {}, customer["id"])
    clock["_deleted"] = True
    api.billing.emit("test_helpers.test_clock.deleted", clock, at=at)
    return deleted_stub(clock)


@route("POST", "/v1/test_helpers/test_clocks/{test_clock}/advance")
def test_clock_advance(api: Api, params: Params, test_clock: str) -> dict[str, Any]:
    clock = api.state.get("test_helpers.test_clock", test_clock)
    if "frozen_time" not in params:
        raise MissingParam("frozen_time")
    target = as_int(params["frozen_time"], "frozen_time")
    if target <= clock["frozen_time"]:
        raise InvalidRequest(
            "The test clock's frozen_time must be greater than its current frozen_time.",
            param="frozen_time",
        )
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": target}}
    api.billing.emit("test_helpers.test_clock.advancing", clock, at=clock["frozen_time"])

    def set_time(moment: int) -> None:
        clock["frozen_time"] = moment

    # Stripe advances in the background and answers "advancing"; the simulator finishes the
    # work before answering, so a client polling for "ready" sees it at once.
    api.billing.run_until(target, clock_id=test_clock, outcome=None, set_time=set_time)
    clock["status"] = "ready"
    clock["status_details"] = {}
    api.billing.emit("test_helpers.test_clock.ready", clock, at=target)
    api.state.mark_dirty()
    return clock
