"""Fixtures of the onboarding integration tests: the sandboxes with the agency's template and
the new client's account, and one real worker process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.onboarding.env import OnboardingStack, onboarding_stack


@pytest.fixture
def stack(redis_url: str, db_url: str, tmp_path: Path) -> Iterator[OnboardingStack]:
    with onboarding_stack(tmp_path) as s:
        yield s


@pytest.fixture
def worker(stack: OnboardingStack, tmp_path: Path) -> Iterator[Any]:
    w = start_worker(tmp_path, concurrency=1, extra_env=stack.worker_env)
    yield w
    stop_process(w.proc)
