"""The webhook payloads in the OpenAPI schema: one component per kind of object, whose `data`
is the API's own shipment or escrow component (a drf-spectacular postprocessing hook)."""

from webhooks.models import EventType

_HEADERS = (
    " Sent with the Standard Webhooks headers `webhook-id` (this `id`), `webhook-timestamp` and "
    "`webhook-signature` (see `POST /api/v1/webhook-endpoints/`)."
)


def _event(*, component: str, types: list[str], description: str) -> dict:
    return {
        "type": "object",
        "description": description + _HEADERS,
        "required": ["id", "type", "created", "data"],
        "properties": {
            "id": {"type": "string", "description": "The event's id, also `webhook-id`"},
            "type": {"type": "string", "enum": types},
            "created": {"type": "string", "format": "date-time"},
            "data": {"$ref": f"#/components/schemas/{component}"},
        },
    }


def webhook_payload_components(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Shipment" in schemas:
        schemas["WebhookShipmentEvent"] = _event(
            component="Shipment",
            types=[EventType.SHIPMENT_CREATED, EventType.SHIPMENT_STATUS_CHANGED],
            description="The body of a `shipment.created` or `shipment.status_changed` delivery.",
        )
    if "Escrow" in schemas:
        schemas["WebhookEscrowEvent"] = _event(
            component="Escrow",
            types=[EventType.ESCROW_CREATED, EventType.ESCROW_STATUS_CHANGED],
            description="The body of an `escrow.created` or `escrow.status_changed` delivery.",
        )
    return result
