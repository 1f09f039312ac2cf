"""Automation 2, reply guard: pause a campaign whose reply rate stays low.

``rules`` decides from stored daily figures (pure), ``flow`` runs one account's check,
``models`` keeps LeadOps' own pauses (so a person's resume is respected), ``notify`` words the
Slack message, ``tasks`` is the scheduled Celery entry point.
"""
