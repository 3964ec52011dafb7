"""Opaque page tokens and page sizes."""

import pytest

from cj_service.service.workflow import queries
from contracts.errors import ServiceError


def test_a_page_token_round_trips():
    token = queries.encode_token({"a": "x", "q": 12})
    assert queries.decode_token(token, keys=("a", "q")) == {"a": "x", "q": 12}


@pytest.mark.parametrize("token", ["!!!", "bm90IGpzb24", queries.encode_token({"a": 1})])
def test_a_malformed_token_is_an_invalid_page_token(token):
    with pytest.raises(ServiceError) as err:
        queries.decode_token(token, keys=("a", "q"))
    assert err.value.reason == "INVALID_PAGE_TOKEN"


def test_page_sizes_default_cap_and_refuse_negatives():
    assert queries.page_size(0, default=50, maximum=500) == 50
    assert queries.page_size(9999, default=50, maximum=500) == 500
    with pytest.raises(ServiceError):
        queries.page_size(-1, default=50, maximum=500)
