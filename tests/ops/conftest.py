from __future__ import annotations

import pytest

from tests.helpers import client_for


@pytest.fixture
def staff(make_user):
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)
