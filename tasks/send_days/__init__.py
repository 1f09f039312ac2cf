"""Automation 9, send days: narrow a campaign's send days to the weekdays that get replies.

``rules`` builds the weekday table and decides (pure; the evidence test is in ``posterior``),
``schedule`` maps the schedule as read to the six-field write, ``flow`` runs one account's
check, ``models`` keeps the changes made (one per campaign per interval), ``notify`` words the
Slack summary, ``tasks`` is the scheduled Celery entry point.
"""
