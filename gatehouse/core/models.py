"""Shared model base and the tamper-evident audit trail."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Addressed by a random UUID, so ids in URLs and the API cannot be enumerated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One view, export or change of personal data. Append-only; each row hashes the one before."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        SEARCH = "search", _("Searched")
        EXPORT = "export", _("Exported")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        REVEAL = "reveal", _("Revealed identity number")

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    # Plain values, not foreign keys: the trail must outlive deleted users and records.
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_label = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=40)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    subject_resident_id = models.UUIDField(null=True, db_index=True)
    detail = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_label} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """A single row holding the last hash; locking it serialises appends so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"
