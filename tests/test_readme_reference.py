"""The README's "Reference" against the code: every parameter, field, attribute and enum member it lists
exists, every one that exists is listed, every default it shows is the real one, and each number range it
states for a constructor is the one the constructor enforces.

The reference marks what each table or paragraph describes with an HTML comment just above it:
``<!-- reference: retry_llm async_retry_llm -->`` (a table of parameters; a row whose name is followed by
callables in parentheses, ``| `sleep` (`retry_llm`) |``, applies to those only), ``<!-- members: Name -->``
(the public attributes and methods in the paragraph below), ``<!-- values: Enum -->``, ``<!-- presets -->``,
``<!-- value: CONSTANT -->``, ``<!-- keys: CircuitBreaker.stats -->`` and ``<!-- names: ... -->`` (names
documented in prose).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import llm_retry
import llm_retry.otel
import llm_retry.prometheus
import llm_retry.testing
import pytest
from llm_retry import presets
from llm_retry._budget import PER_PROVIDER

README = Path(__file__).resolve().parent.parent / "README.md"

MARKER = re.compile(r"^<!-- (reference|members|values|value|keys|names|presets)(?::\s*(.*?))? -->$")
TICKED = re.compile(r"`([^`]*)`")


def reference_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Reference\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


@dataclasses.dataclass
class Block:
    kind: str
    names: list[str]
    lines: list[str]
    """The table under the marker (``|`` lines), or else the paragraph."""


def blocks() -> list[Block]:
    found = []
    lines = reference_section().splitlines()
    for index, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if marker is None:
            continue
        body: list[str] = []
        for following in lines[index + 1 :]:
            if not following.strip() or following.startswith("<!--"):
                break
            body.append(following)
        found.append(Block(marker[1], (marker[2] or "").split(), body))
    return found


def blocks_of(kind: str) -> list[Block]:
    return [b for b in blocks() if b.kind == kind]


def cells(line: str) -> list[str]:
    assert line.startswith("|") and line.endswith("|"), line
    return [cell.strip() for cell in line[1:-1].split("|")]


def table(block: Block) -> list[dict[str, str]]:
    """The rows of a marked table, by header; a cell count that differs from the header's (a stray ``|``)
    fails."""
    header, rule, *rows = block.lines
    names = cells(header)
    assert set(rule.replace("|", "").strip()) <= {"-"}, rule
    out = []
    for row in rows:
        values = cells(row)
        assert len(values) == len(names), f"{len(values)} cells for {len(names)} columns: {row}"
        out.append(dict(zip(names, values, strict=True)))
    return out


def resolve(name: str) -> Any:
    """``retry_llm``, ``RetryConfig.replace``: the object of that name in `llm_retry`."""
    obj: Any = llm_retry
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


# --- defaults, as the reference writes them ------------------------------------------------------------


def shown_default(parameter: inspect.Parameter) -> str:
    """A default as the reference shows it: a value in backticks (``None``, ``5``, ``'breaker'``,
    ``time.sleep``, a private function's bare name), ``required``, ``—`` for ``*args``/``**kwargs``, and
    "the provider's" for the decorators' per-provider budget."""
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        return "—"
    return shown_value(parameter.default)


def shown_value(value: object) -> str:
    if value is inspect.Parameter.empty:
        return "required"
    if value is PER_PROVIDER:
        return "the provider's"
    if isinstance(value, enum.Enum):
        return f"`{type(value).__name__}.{value.name}`"
    if isinstance(value, frozenset) and all(isinstance(v, enum.Enum) for v in value):
        return ", ".join(f"`{v.value}`" for v in sorted(value, key=lambda v: v.value))
    if callable(value) and hasattr(value, "__qualname__"):
        # A private function is shown by its name alone (`_retry_everything`), a public one with its module.
        if value.__qualname__.startswith("_") or "._" in f".{value.__module__}":
            return f"`{value.__qualname__}`"
        return f"`{value.__module__}.{value.__qualname__}`"
    return f"`{value!r}`"


def parameters(name: str) -> dict[str, inspect.Parameter]:
    """The parameters a reference table lists for ``name``: ``self`` left out, ``*others`` and
    ``**overrides`` written as such."""
    obj = resolve(name)
    if dataclasses.is_dataclass(obj):
        fields = {f.name: f for f in dataclasses.fields(obj)}
        signature = inspect.signature(obj)
        return {n: p for n, p in signature.parameters.items() if n in fields}
    out = {}
    for parameter in inspect.signature(obj).parameters.values():
        if parameter.name == "self":
            continue
        prefix = {parameter.VAR_POSITIONAL: "*", parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
        out[prefix + parameter.name] = parameter
    return out


def rows_by_callable(block: Block) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    """For each callable a reference table covers, its rows by parameter name."""
    rows = table(block)
    for name in block.names:
        mine: dict[str, dict[str, str]] = {}
        for row in rows:
            first = row.get("parameter", row.get("field", ""))
            ticked = TICKED.findall(first)
            assert ticked, f"no parameter name in {first!r}"
            applies_to = [t.removesuffix("()") for t in ticked[1:]]
            if applies_to and name not in applies_to and name.rpartition(".")[2] not in applies_to:
                continue
            assert ticked[0] not in mine, f"{name}: {ticked[0]} listed twice"
            mine[ticked[0]] = row
        yield name, mine


def reference_cases() -> list[tuple[str, dict[str, dict[str, str]]]]:
    return [case for block in blocks_of("reference") for case in rows_by_callable(block)]


@pytest.mark.parametrize(("name", "rows"), reference_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_parameter_is_listed_with_its_default(name: str, rows: dict[str, dict[str, str]]) -> None:
    actual = parameters(name)
    missing = sorted(set(actual) - set(rows))
    extra = sorted(set(rows) - set(actual))
    assert not missing, f"{name} has parameters the README's reference does not list: {missing}"
    assert not extra, f"the README's reference lists parameters {name} does not have: {extra}"
    for param, row in rows.items():
        expected = shown_default(actual[param])
        assert row["default"] == expected, (
            f"{name}({param}): the README says {row['default']}, the code {expected}"
        )


def test_the_tables_cover_what_they_should() -> None:
    """The sanity of the parsing itself: the decorators' table and the config's are found and full."""
    cases = dict(reference_cases())
    assert {"retry_llm", "async_retry_llm", "attempts", "RetryConfig", "CircuitBreaker", "fallback"} <= set(
        cases
    )
    assert cases["retry_llm"]["sleep"]["default"] == "`time.sleep`"
    assert cases["attempts"]["sleep"]["default"] == "`None`"
    assert "func" not in cases["attempts"]


# --- allowed ranges ---------------------------------------------------------------------------------------

# The tables whose number ranges are probed: each bound the "allowed" cell states is accepted, and a value
# just past it is a ValueError.
CONSTRUCTORS = ("RetryConfig", "CircuitBreaker", "RetryBudget", "RateLimitGate")
FIGURE = r"(a year|2\*\*64 - 1|[\d,.]+)"
RANGE = re.compile(
    rf"^(?P<none>None, or )?(?:(?P<above>above )?(?P<low>{FIGURE})|from `\w+`)"
    rf"(?:,? (?:and )?at most | to )(?P<high>{FIGURE})(?P<rest>.*)$"
)
YEAR_S = 31_536_000


def figure(text: str) -> int | float:
    if text == "a year":
        return YEAR_S
    if text == "2**64 - 1":
        return 2**64 - 1
    number = float(text.replace(",", ""))
    return int(number) if number.is_integer() else number


def range_cases() -> Iterator[Any]:
    for block in blocks_of("reference"):
        for name, rows in rows_by_callable(block):
            if name not in CONSTRUCTORS:
                continue
            for param, row in rows.items():
                found = RANGE.match(row["allowed"])
                if found and row["type"].split()[0] in ("int", "float"):
                    yield pytest.param(name, param, row["type"].split()[0], found, id=f"{name}-{param}")


def test_ranges_are_found() -> None:
    probed = {(name, param) for name, param, *_ in (case.values for case in range_cases())}
    assert {
        ("RetryConfig", "max_attempts"),
        ("CircuitBreaker", "window_s"),
        ("RetryBudget", "retry_ratio"),
    } <= probed
    assert len(probed) >= 20


@pytest.mark.parametrize(("name", "param", "kind", "found"), list(range_cases()))
def test_the_allowed_range_is_the_real_one(name: str, param: str, kind: str, found: re.Match[str]) -> None:
    make = resolve(name)
    step = 1 if kind == "int" else 1e-3
    if found["none"]:
        make(**{param: None})
    # "at most `max_delay_s`" and "at least `base_delay_s`": that side's bound is another parameter's value.
    if found["low"] is not None and "at least `" not in found["rest"]:
        low = figure(found["low"])
        if found["above"]:
            make(**{param: low + step})
            with pytest.raises(ValueError, match=param):
                make(**{param: low})
        else:
            make(**{param: low})
            with pytest.raises(ValueError, match=param):
                make(**{param: low - step})
    if "at most `" not in found["rest"]:
        high = figure(found["high"])
        make(**{param: high})
        with pytest.raises(ValueError, match=param):
            make(**{param: high + (1 if kind == "int" else max(step, high * 1e-6))})


# --- members ---------------------------------------------------------------------------------------------

# Instances to read attributes set in `__init__` from (the classes' own `dir` has the rest).
SAMPLES: dict[str, Callable[[], object]] = {
    "CircuitBreaker": llm_retry.CircuitBreaker,
    "RetryBudget": llm_retry.RetryBudget,
    "RateLimitGate": llm_retry.RateLimitGate,
    "InMemoryStore": llm_retry.InMemoryStore,
    "CircuitOpenError": lambda: llm_retry.CircuitOpenError("b", 1.0, llm_retry.BreakerState.OPEN),
    "RateLimitedError": lambda: llm_retry.RateLimitedError("g", 1.0, llm_retry.GiveUpReason.DEADLINE),
    "AllProvidersFailed": lambda: llm_retry.AllProvidersFailed("all failed", [ValueError("x")]),
    "RetryExhausted": lambda: llm_retry.RetryExhausted(ValueError("x"), 3),
}


def public_members(name: str) -> set[str]:
    """The public attributes and methods of ``name``, without those of the builtin class it extends
    (`Exception`, `ExceptionGroup`, `str`) or of `enum.Enum`, and without an enum's members; a module's
    `__all__`."""
    cls = resolve(name)
    if inspect.ismodule(cls):
        return set(cls.__all__)
    found = {n for k in cls.__mro__ for n in (*dir(k), *vars(k)) if not n.startswith("_")}
    if name in SAMPLES:
        found |= {n for n in dir(SAMPLES[name]()) if not n.startswith("_")}
    for base in cls.__mro__[1:]:
        if base.__module__ in ("builtins", "enum"):
            found -= {*dir(base), *vars(base)}
    if issubclass(cls, enum.Enum):
        found -= set(cls.__members__)
    return found


def members_cases() -> list[tuple[str, set[str]]]:
    cases = []
    for block in blocks_of("members"):
        (name,) = block.names
        listed = {t.partition("(")[0] for t in TICKED.findall(" ".join(block.lines))}
        cls = resolve(name)
        if dataclasses.is_dataclass(cls):
            listed |= {f.name for f in dataclasses.fields(cls)}
        cases.append((name, listed))
    return cases


@pytest.mark.parametrize(("name", "listed"), members_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_member_is_listed(name: str, listed: set[str]) -> None:
    actual = public_members(name)
    missing = sorted(actual - listed)
    assert not missing, f"{name} has public members the README's reference does not list: {missing}"
    # The paragraph's other code words are types and values (`BreakerState`, `HINT_TOO_LONG`) or other
    # functions; what is written like a member must be one, here or in a builtin base (`exceptions`).
    claimed = {n for n in listed if n.isidentifier() and n.islower()} - NOT_MEMBERS
    everything = {n for n in dir(resolve(name)) if not n.startswith("_")} | actual
    extra = sorted(claimed - everything)
    assert not extra, f"the README's reference lists members {name} does not have: {extra}"


# Lower-case code words the member paragraphs use that name something else.
NOT_MEMBERS = {"classify", "on_retry", "on_fallback", "fallback"}


def test_every_breaker_stats_key_is_listed() -> None:
    (block,) = blocks_of("keys")
    assert block.names == ["CircuitBreaker.stats"]
    listed = [TICKED.findall(row["`stats` key"])[0] for row in table(block)]
    assert sorted(listed) == sorted(llm_retry.CircuitBreaker().stats)


# --- enums and constants -----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", blocks_of("values"), ids=lambda b: b.names[0])
def test_every_enum_member_is_listed_with_its_value(block: Block) -> None:
    (name,) = block.names
    cls = resolve(name)
    rows = table(block)
    listed = {TICKED.findall(next(iter(row.values())))[0]: row["value"] for row in rows}
    actual = {member.name: f"`{member.value!r}`" for member in cls}
    assert listed == actual


def test_default_fallback_kinds() -> None:
    (block,) = blocks_of("value")
    assert block.names == ["DEFAULT_FALLBACK_KINDS"]
    listed = set(TICKED.findall(" ".join(block.lines)))
    assert listed == {kind.value for kind in llm_retry.DEFAULT_FALLBACK_KINDS}


# --- presets -----------------------------------------------------------------------------------------------

# The fields every preset leaves at `RetryConfig`'s default; the reference says so in one sentence.
UNCHANGED_FIELDS = ("retry_network_errors", "never_retry_kinds", "deadline_s", "seed")


def preset_rows() -> list[dict[str, str]]:
    (block,) = blocks_of("presets")
    return table(block)


def test_every_preset_is_listed() -> None:
    listed = [TICKED.findall(row["preset"])[0] for row in preset_rows()]
    exported = [n for n in llm_retry.__all__ if n.endswith("Preset")]
    assert sorted(listed) == sorted(exported)
    assert sorted(listed) == sorted(n for n in presets.__all__ if n.endswith("Preset"))


@pytest.mark.parametrize("row", preset_rows(), ids=lambda row: TICKED.findall(row["preset"])[0])
def test_every_preset_value_is_the_real_one(row: dict[str, str]) -> None:
    name = TICKED.findall(row["preset"])[0]
    preset = getattr(llm_retry, name)
    columns = {TICKED.findall(column)[0]: value for column, value in row.items() if column != "preset"}
    assert set(columns) | set(UNCHANGED_FIELDS) == {f.name for f in dataclasses.fields(preset)}
    for field in UNCHANGED_FIELDS:
        assert getattr(preset, field) == getattr(llm_retry.RetryConfig(), field), (name, field)
    statuses = tuple(
        int(code) for code in TICKED.findall(columns.pop("retryable_status_codes"))[0].split(",")
    )
    assert statuses == preset.retryable_status_codes
    names_cell = columns.pop("retryable_exception_names")
    listed = tuple(TICKED.findall(names_cell))
    if names_cell.startswith("every other preset's"):
        union = dict.fromkeys(n for p in presets.PROVIDER_PRESETS for n in p.retryable_exception_names)
        listed = (*union, *listed)
    elif names_cell == "none":
        listed = ()
    assert listed == preset.retryable_exception_names, name
    for field, cell in columns.items():
        assert cell == f"`{getattr(preset, field)!r}`", (name, field)


# --- coverage ----------------------------------------------------------------------------------------------


# The public modules whose names the reference must cover, by the prefix it writes them with.
MODULES = {
    "": llm_retry,
    "testing.": llm_retry.testing,
    "otel.": llm_retry.otel,
    "prometheus.": llm_retry.prometheus,
}


def test_every_public_name_is_in_the_reference() -> None:
    """Every name in the ``__all__`` of `llm_retry` and its public modules has an entry
    (``CircuitBreaker.stats`` covers ``CircuitBreaker``), and every name an entry describes exists."""
    covered = {TICKED.findall(row["preset"])[0] for row in preset_rows()}
    for block in blocks():
        for name in block.names:
            resolve(name)
            parts = name.split(".")
            covered |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    public = {prefix + name for prefix, module in MODULES.items() for name in module.__all__}
    missing = sorted(public - covered)
    assert not missing, f"public names with no entry in the README's reference: {missing}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, code marks and punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readmes_links_land_on_headings() -> None:
    text = README.read_text(encoding="utf-8")
    anchors = {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    assert re.search(r"\]\(#", reference_section()), "the reference links to the sections that explain it"
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links <= anchors, sorted(links - anchors)
