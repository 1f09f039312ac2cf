"""The shared exactly-once path from an accepted lead to a Smartlead campaign (automations 1, 5
and 10, and CSV imports): ``accept`` validates and buffers, ``dispatch`` claims chunks and
schedules flushes, ``upload`` sends one chunk and records each lead's outcome, ``buffer`` (with
``buffer_lua``) is the Redis state every step changes atomically."""
