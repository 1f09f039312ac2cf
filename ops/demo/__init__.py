"""The end-to-end demo (``leadops demo``): ``run.py`` starts the stack and runs the scenarios,
one module per scenario beside it, ``context.py`` what they share."""
