"""`accounts import` is all-or-nothing and names the file, entry and field that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cli import app

runner = CliRunner()

GOOD = """
accounts:
  - slug: acme
    name: Acme Ltd
    timezone: Europe/Paris
    smartlead_api_key: sl-acme-key-0001
    webhook_secrets: {clay: clay-acme-secret}
    automations:
      clay_intake: {params: {default_campaign_id: "101", chunk_size: 50}}
  - slug: globex
    name: Globex
    hubspot_token: pat-globex-token-77
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "accounts.yaml"
    p.write_text(text)
    return p


def test_import_then_list_and_show_never_print_secrets(db_url, tmp_path) -> None:
    result = runner.invoke(app, ["accounts", "import", str(_write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    assert "imported 2 account(s)" in result.output
    listed = runner.invoke(app, ["accounts", "list"], env={"COLUMNS": "200"})
    shown = runner.invoke(app, ["accounts", "show", "acme"])
    exported = runner.invoke(app, ["accounts", "export"])
    for out in (listed.output, shown.output, exported.output):
        assert "sl-acme-key-0001" not in out
        assert "clay-acme-secret" not in out
        assert "pat-globex-token-77" not in out
    assert "acme" in listed.output and "globex" in listed.output
    assert '"default_campaign_id": "101"' in shown.output
    with_secrets = runner.invoke(app, ["accounts", "export", "--include-secrets"])
    assert "sl-acme-key-0001" in with_secrets.output


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("  - slug: bad\n    name: Bad\n    timezone: Mars/Olympus\n", "entry 2 (bad): timezone"),
        ("  - slug: bad\n    name: Bad\n    colour: red\n", "entry 2 (bad): colour"),
        (
            "  - slug: bad\n    name: Bad\n"
            "    automations: {clay_intake: {params: {chunk_size: 0}}}\n",
            "entry 2 (bad): automations",
        ),
        ("  - name: NoSlug\n", "entry 2: slug"),
    ],
)
def test_malformed_entry_imports_nothing_and_names_file_entry_field(
    db_url, tmp_path, entry: str, expected: str
) -> None:
    text = "accounts:\n  - slug: fine\n    name: Fine\n" + entry
    path = _write(tmp_path, text)
    result = runner.invoke(app, ["accounts", "import", str(path)])
    assert result.exit_code != 0
    from ops.accounts_io import ImportError_, load_specs

    with pytest.raises(ImportError_) as err:
        load_specs(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    listed = runner.invoke(app, ["accounts", "export"])
    assert "fine" not in listed.output  # nothing from that file was imported


def test_not_yaml_is_a_clear_error(tmp_path) -> None:
    from ops.accounts_io import ImportError_, load_specs

    path = _write(tmp_path, "accounts: [unclosed")
    with pytest.raises(ImportError_, match="not valid YAML"):
        load_specs(path)


def test_cli_error_keeps_bracketed_text_and_names_every_wrong_field(
    db_url, tmp_path, monkeypatch, capsys
) -> None:
    """`[a-z0-9]` in a pattern is text, not terminal markup; a bad slug AND a bad time zone in
    one entry are both reported."""
    import sys

    from ops.cli import main

    path = _write(
        tmp_path, "accounts:\n  - slug: Bad Slug!\n    name: Bad\n    timezone: Mars/Olympus\n"
    )
    monkeypatch.setattr(sys, "argv", ["leadops", "accounts", "import", str(path)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "^[a-z0-9][a-z0-9_-]{0,63}$" in err
    assert "slug:" in err and "timezone:" in err and "Mars/Olympus" in err
