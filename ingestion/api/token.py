"""What a Data Export token says about itself: Clarity tokens are JWTs, and their `exp` claim
(when the token stops working) is readable without any call and without the signing key."""

from __future__ import annotations

from datetime import UTC, datetime


def token_expiry(token: str) -> datetime | None:
    """The UTC time the token expires, or None when it is not a JWT or carries no `exp`."""
    import jwt  # PyJWT, only for the commands that show or check expiry

    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
