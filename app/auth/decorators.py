"""The one role check."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user


def roles_required(*roles: str) -> Callable:
    """Allow the view to the named roles only; anyone else gets 403 (login is checked globally)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator
