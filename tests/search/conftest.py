"""Fixtures shared by the search's tests."""

import pytest

from accessions.search import counting


@pytest.fixture
def samplers(monkeypatch):
    """The `coarse` given to each counting.capped_counts call, the general way of counting a
    search: None when no sample was built."""
    calls = []
    original = counting.capped_counts

    def spy(main, cap, **kwargs):
        calls.append(kwargs.get("coarse"))
        return original(main, cap, **kwargs)

    monkeypatch.setattr(counting, "capped_counts", spy)
    return calls
