"""What the sandbox's write endpoints refuse, as the real service does (smartlead-api.md,
"Cloning a campaign"): read-form tracking names, a null ``client_id``, a sequence step without
``"id"``, read-form variants (``is_deleted``, ``"None"`` shares); and how written variants are
stored so GET shows them in read form."""

from __future__ import annotations

from typing import Any

from ops.sandbox.smartlead_state import TRACKING_WRITE_TO_READ, SandboxState, joi

VARIANT_KEYS = ("subject", "email_body", "variant_label", "variant_distribution_percentage")


def check_settings(body: dict[str, Any]) -> None:
    if "client_id" in body and not isinstance(body["client_id"], int):
        raise joi('"client_id" must be a number')
    tracking = body.get("track_settings")
    if tracking is None:
        return
    if not isinstance(tracking, list):
        raise joi('"track_settings" must be an array')
    allowed = list(TRACKING_WRITE_TO_READ)
    for i, value in enumerate(tracking):
        if value not in allowed:
            raise joi(f'"track_settings[{i}]" must be one of [{", ".join(allowed)}]')


def check_step(step: dict[str, Any], i: int) -> None:
    if "id" not in step:
        raise joi(f'"sequences[{i}].id" is required')
    if step["id"] is not None and not isinstance(step["id"], int):
        raise joi(f'"sequences[{i}].id" must be a number')
    variants = step.get("seq_variants")
    if variants is None:
        return
    if not isinstance(variants, list):
        raise joi(f'"sequences[{i}].seq_variants" must be an array')
    for j, variant in enumerate(variants):
        where = f"sequences[{i}].seq_variants[{j}]"
        if not isinstance(variant, dict):
            raise joi(f'"{where}" must be of type object')
        for name in variant:
            if name not in VARIANT_KEYS:
                raise joi(f'"{where}.{name}" is not allowed')
        if not isinstance(variant.get("variant_label"), str) or not variant["variant_label"]:
            raise joi(f'"{where}.variant_label" is required')
        share = variant.get("variant_distribution_percentage")
        if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)):
            raise joi(f'"{where}.variant_distribution_percentage" must be a number')


def stored_variants(state: SandboxState, variants: Any) -> list[dict[str, Any]] | None:
    """Variants as GET shows them: each with an id and ``is_deleted: false``."""
    if not variants:
        return None
    return [
        {
            "id": state.next_id("variant", start=5000),
            "variant_label": v["variant_label"],
            "subject": v.get("subject", ""),
            "email_body": v.get("email_body", ""),
            "variant_distribution_percentage": v.get("variant_distribution_percentage"),
            "is_deleted": False,
        }
        for v in variants
    ]
