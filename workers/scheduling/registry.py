"""The checks this process knows: filled when the worker (or the CLI) imports the automations'
task modules, each of which calls ``register_check`` once at import."""

from __future__ import annotations

from workers.scheduling.check import ScheduledCheck

_CHECKS: dict[str, ScheduledCheck] = {}


def register_check(check: ScheduledCheck) -> ScheduledCheck:
    """Declare a scheduled check (at import of ``tasks/<automation>/tasks.py``); returns it.

    Its name must be an automation of ``workers.automations.AUTOMATIONS`` (enabled switch,
    dry run and params come from there). Importing the module twice is harmless; two different
    checks under one name are refused.
    """
    from workers.automations import AUTOMATIONS

    if check.name not in AUTOMATIONS:
        raise ValueError(
            f"scheduled check {check.name!r} has no params model in workers.automations"
            f".AUTOMATIONS; known: {', '.join(sorted(AUTOMATIONS))}"
        )
    if check.period not in ("day", "week"):
        raise ValueError(f"check {check.name!r}: period must be 'day' or 'week'")
    if not 0 <= check.weekday <= 6:
        raise ValueError(f"check {check.name!r}: weekday must be 0 (Monday) .. 6")
    known = _CHECKS.get(check.name)
    if known is not None and known != check:
        raise ValueError(f"scheduled check {check.name!r} is already registered differently")
    _CHECKS[check.name] = check
    return check


def registered_checks() -> dict[str, ScheduledCheck]:
    """Every registered check by name (a copy)."""
    return dict(_CHECKS)


def get_check(name: str) -> ScheduledCheck:
    """The registered check, or a LookupError naming the ones this process knows."""
    try:
        return _CHECKS[name]
    except KeyError:
        known = ", ".join(sorted(_CHECKS)) or "none (were the task modules imported?)"
        raise LookupError(f"no scheduled check {name!r}; registered: {known}") from None


__all__ = ["get_check", "register_check", "registered_checks"]
