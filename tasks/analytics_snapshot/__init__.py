"""Automation 4: daily campaign analytics in the database, and the white-label client report.

Collection: ``tasks`` (Celery entry point and the scheduled check), ``flow`` (the per-account
run), ``rules`` (which campaigns, which days: pure), ``smartlead`` (the calls and their windows),
``parse`` (reading the analytics answers: pure), into the campaign figures store
(``workers.campaign_stats``) that the report and the deciding checks read.
Report: ``report/`` (periods and figures, charts, HTML and CSV, links, publishing).
"""
