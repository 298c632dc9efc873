"""The session engine (settings.SESSION_ENGINE): Django's database sessions, each row carrying
the id of the user logged in with it (Django's documented way of extending the database
engine), in the schema of the host it was made on."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from loginexus.accounts.models import Session


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get("_auth_user_id"))
        except (TypeError, ValueError):
            session.user_id = None
        return session
