"""Session store whose rows know their user, so sessions can be revoked per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import InterfaceError, OperationalError


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

    def save(self, must_create: bool = False) -> None:
        """Save the session; a database failure is a server error, not "your session ended".

        Django turns every database error of an update into UpdateError, which its
        middleware answers with 400 "session interrupted". That is right when the row was
        deleted (the session was revoked or logged out elsewhere), but wrong when the
        database itself failed after the page's action had committed: the person would
        think nothing happened and do it again (found by the crash suite).
        """
        try:
            super().save(must_create)
        except UpdateError as error:
            if isinstance(error.__context__, OperationalError | InterfaceError):
                raise error.__context__ from None
            raise
