"""The examples in the Rust extension's docstrings run: pytest's doctest collection only reads .py files."""

from __future__ import annotations

import doctest

import pytest
from llm_retry import _core


def _docstring_tests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found: list[doctest.DocTest] = []
    for name in _core.__all__:
        found.extend(t for t in finder.find(getattr(_core, name), name, globs={}) if t.examples)
    return found


def test_the_extension_has_examples() -> None:
    assert any(t.name == "classify" for t in _docstring_tests())


@pytest.mark.parametrize("test", _docstring_tests(), ids=lambda t: t.name)
def test_docstring_examples_run(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {test.name}'s docstring"
