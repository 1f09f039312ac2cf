"""The webhook front door: verify, validate, deduplicate, enqueue by task name, answer fast."""
