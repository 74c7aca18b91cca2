"""Print the demo logins (their password is this machine's, from .env)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from gatehouse.demo.accounts import demo_accounts_create, demo_password


class Command(BaseCommand):
    help = "Print the demo logins for every role."

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        logins = demo_accounts_create(password=password)
        table = Table(title="Gatehouse demo logins (password for all: " + password + ")")
        table.add_column("username")
        table.add_column("role")
        table.add_column("where")
        for login in logins:
            table.add_row(login.username, login.role, login.where)
        Console().print(table)
