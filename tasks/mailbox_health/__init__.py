"""Automation 7: every client's mailboxes checked each morning in the client's time zone; a
mailbox that turns weak is told to Slack once (and its recovery), not every day.

``tasks.py`` (Celery entry point on the scheduling mechanism), ``flow.py`` (one account's
morning), ``parse.py`` (what a mailbox answer holds), ``rules.py`` (pure decisions),
``warmup.py`` (optional 7-day warm-up stats), ``store.py`` (the ``mailbox_days`` rows),
``alert.py`` (the Slack message), ``remedy.py`` (optional, off by default).
"""
