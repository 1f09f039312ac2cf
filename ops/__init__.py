"""Everything an operator runs: CLI, sandboxes, benchmarks, migrations, deployment files."""
