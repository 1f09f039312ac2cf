"""Automation 4: daily campaign analytics in the database, and the white-label client report."""
