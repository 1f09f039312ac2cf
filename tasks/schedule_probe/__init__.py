"""A probe of the scheduling mechanism, not an automation: a scheduled check that lists the
account's campaigns (once per Smartlead key and period, split by client id) and records counts.
Used by the integration tests and ``python -m ops.bench.schedule``; accounts run it only when
``schedule_probe`` is enabled for them."""
