"""`manage.py audit_verify`: walk the audit chain; exit 1 at the first entry that was altered or removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gatehouse.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.intact:
            self.stdout.write(f"audit trail intact: {report.entries} entries")
            return
        self.stderr.write(f"audit trail BROKEN at #{report.first_broken_seq}: {report.reason}")
        raise SystemExit(1)
