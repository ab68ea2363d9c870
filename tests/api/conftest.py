from __future__ import annotations

from typing import Any

import pytest

from api.tokens import api_token_create


@pytest.fixture
def bearer():
    """`bearer(user)`: the Authorization header of a new personal token of `user`."""

    def make(user: Any) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').secret}"}

    return make
