"""One small module per automation. Task names are stable: renaming one strands queued work."""
