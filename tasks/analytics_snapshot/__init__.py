"""Automation 4 (collection): each account's campaigns, once per local day, into the campaign
figures store (``workers.campaign_stats``) that the report and the deciding checks read.

``tasks`` (Celery entry point and the scheduled check), ``flow`` (the per-account run),
``rules`` (which campaigns, which days: pure), ``smartlead`` (the calls and their windows),
``parse`` (reading the analytics answers: pure).
"""
