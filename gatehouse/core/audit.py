"""Writing and verifying the audit trail.

Each entry's hash covers its own fields and the previous entry's hash, so deleting or altering any
row breaks every hash after it, and the chain head (the last hash) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from gatehouse.core.models import AuditChainHead, AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who did it and from where; built from a request or named for a command."""

    user_id: int | None
    label: str
    role: str
    ip_address: str | None = None


SYSTEM = Actor(user_id=None, label="system", role="system")


def _entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields_of(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject_resident_id": str(entry.subject_resident_id) if entry.subject_resident_id else None,
        "detail": entry.detail,
        "ip_address": entry.ip_address,
    }


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | uuid.UUID,
    subject_resident_id: uuid.UUID | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor.user_id,
            actor_label=actor.label[:150],
            actor_role=actor.role[:40],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            subject_resident_id=subject_resident_id,
            detail=detail[:500],
            ip_address=actor.ip_address,
            prev_hash=head.last_hash,
        )
        entry.entry_hash = _entry_hash(head.last_hash, _fields_of(entry))
        entry.save(force_insert=True)
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_seq: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def _iter_entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def audit_verify() -> ChainReport:
    """Walk the chain from the start; report the first entry that does not fit."""
    prev_hash, expected_seq, count = "0" * 64, 1, 0
    for entry in _iter_entries():
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(count, entry.seq, f"entry #{entry.seq} does not follow the one before")
        if _entry_hash(prev_hash, _fields_of(entry)) != entry.entry_hash:
            return ChainReport(count, entry.seq, f"entry #{entry.seq} was altered")
        prev_hash, expected_seq = entry.entry_hash, expected_seq + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        return ChainReport(count, expected_seq, f"entries after #{expected_seq - 1} were removed")
    return ChainReport(count, None, "intact")
