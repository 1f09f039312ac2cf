"""`leadops leads import` reads Clay-style headers (issue 17)."""

from __future__ import annotations

from pathlib import Path

from ops.cli.leads import column_field, read_rows


def test_clay_style_headers_map_to_smartlead_fields(tmp_path: Path) -> None:
    csv = tmp_path / "clay.csv"
    csv.write_text(
        "Work Email,First Name,LinkedIn Profile,Company Domain,Job Title\n"
        "ann@x.com,Ann,https://linkedin.com/in/ann,x.com,CTO\n"
        ",Bob,,,\n"
    )
    rows, _ = read_rows(csv)
    assert rows[0] == (
        2,
        {
            "email": "ann@x.com",
            "first_name": "Ann",
            "linkedin_profile": "https://linkedin.com/in/ann",
            "company_url": "x.com",
            "custom_fields": {"Job Title": "CTO"},
        },
    )
    assert rows[1] == (3, {"first_name": "Bob"})


def test_header_spelling_variants_are_alike() -> None:
    for header in (
        "linkedin_profile",
        "LinkedIn Profile",
        "linkedin-profile",
        " LINKEDIN  PROFILE ",
    ):
        assert column_field(header) == "linkedin_profile"
    assert column_field("Favourite colour") is None
