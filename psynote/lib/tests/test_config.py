"""The typed readers refuse a bad value at start-up instead of running with it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from psynote.lib import config


def test_integer_reads_the_variable_or_the_default(monkeypatch):
    monkeypatch.delenv("PSYNOTE_TEST_NUMBER", raising=False)
    assert config.integer("PSYNOTE_TEST_NUMBER", 24, minimum=1, maximum=72) == 24
    monkeypatch.setenv("PSYNOTE_TEST_NUMBER", "8")
    assert config.integer("PSYNOTE_TEST_NUMBER", 24, minimum=1, maximum=72) == 8


@pytest.mark.parametrize("raw, words", [("0", "at least 1"), ("73", "at most 72"),
                                        ("a day", "whole number")])
def test_integer_refuses_values_out_of_bounds_or_not_numbers(monkeypatch, raw, words):
    monkeypatch.setenv("PSYNOTE_TEST_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match=words):
        config.integer("PSYNOTE_TEST_NUMBER", 24, minimum=1, maximum=72)
