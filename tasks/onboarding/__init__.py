"""Automation 8: onboard a new client by cloning a template campaign, as a resumable saga.

``saga`` holds the step order and the state machine, ``steps`` what each step does,
``mapping`` the pure read-to-write translations, ``validate`` the input checks made before any
write, ``store``/``models`` the run and step records, ``dryrun`` the call printer, ``tasks`` the
Celery entry points.
"""
