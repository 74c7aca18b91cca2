import pytest

from gatehouse.cli import main


@pytest.mark.django_db
def test_the_gatehouse_command_runs_management_commands_with_hyphenated_names(capsys):
    main(["gatehouse", "audit-verify"])
    assert "audit trail intact" in capsys.readouterr().out
