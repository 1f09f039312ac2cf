"""Sandbox servers that stand in for Smartlead, HubSpot and Slack over loopback.

Each ``ops/sandbox/<service>.py`` has ``create_app() -> FastAPI``; ``ops.sandbox.serve.serve``
runs one in a background thread for tests, ``leadops sandbox <service> --port N`` for operators.
Never imported by production code (only ``ops/`` and tests use it).
"""
