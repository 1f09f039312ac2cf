"""The white-label client report: figures from the stored days (data), HTML with inline SVG
charts (render), the same daily rows as CSV (csv), per-account hashed links (links), and the
standard periods rendered and stored for the gateway to serve (publish, tasks)."""
