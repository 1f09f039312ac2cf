"""One email rule for the gateway and the upload path (workers/intake/validate.py)."""

from __future__ import annotations

import pytest

from workers.intake.accept import normalise_email as worker_rule
from workers.intake.validate import email_problem, normalise_email


def test_an_ascii_punycode_address_is_kept_as_received_never_rewritten_to_unicode() -> None:
    assert normalise_email(" U5@XN--Mller-kva.de ") == "u5@xn--mller-kva.de"
    assert worker_rule("u5@xn--mller-kva.de") == "u5@xn--mller-kva.de"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "missing email"),
        ("  ", "missing email"),
        ("u5@müller.de", "not an ASCII email address"),
        (".ann@example.com", "not a valid email address"),
        ("ann.@example.com", "not a valid email address"),
        ("ann..b@example.com", "not a valid email address"),
        ("ann@example", "not a valid email address"),
        ("a" * 65 + "@example.com", "not a valid email address"),
        ("ann@" + "a" * 320 + ".com", "email longer than 320 characters"),
    ],
)
def test_an_address_the_upload_would_refuse_is_named_and_refused_by_both(
    value: object, problem: str
) -> None:
    reason = email_problem(value)
    assert reason is not None and reason.startswith(problem)
    assert worker_rule(value) is None


def test_ordinary_addresses_pass_lower_cased() -> None:
    assert normalise_email("Ann.O'Neil+x@Sub.Example.co.uk") == "ann.o'neil+x@sub.example.co.uk"
