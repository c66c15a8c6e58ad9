"""Session store whose rows know their user, so sessions can be revoked per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from refuge.accounts.models import StaffSession

        return StaffSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        obj.user_id = data.get("_auth_user_id")
        started = data.get("refuge_started_at")
        obj.started_at = datetime.fromisoformat(started) if started else None
        return obj
