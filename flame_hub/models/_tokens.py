"""The token endpoint's responses as models, under the names the official flame-hub-client gives them.

Sessions keep their tokens themselves; these models are for scripts that parse a token response.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AccessToken", "RefreshToken"]


class AccessToken(BaseModel):
    """A token response of the client_credentials grant: an access token and its lifetime in seconds."""

    # Authup adds fields such as refresh_token_expires_in; they are kept in model_extra.
    model_config = ConfigDict(extra="allow")

    access_token: str
    expires_in: int
    token_type: str
    scope: str


class RefreshToken(AccessToken):
    """A token response of the password or refresh_token grant, which also carries a refresh token."""

    refresh_token: str
