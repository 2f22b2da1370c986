"""Read a policy file into a ``Policy``, and write one back as YAML.

Every problem becomes one line ``<file>: <key path>: <what is wrong>`` of a
``PolicyError``, so a bank can fix its file without reading code.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from loanwatch.policy.schema import Policy

DEFAULT_POLICY_FILE = "default_policy.yaml"


class PolicyError(ValueError):
    """A policy file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self._raw = tuple(problems)
        self.problems = tuple(f"{source}: {problem}" for problem in problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[type[PolicyError], tuple[str, tuple[str, ...]]]:
        return (PolicyError, (self.source, self._raw))


def load_policy(path: Path | str) -> Policy:
    """Read and validate the policy file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyError(str(path), [f"cannot read the file: {e}"]) from None
    return load_policy_text(text, str(path))


def load_policy_text(text: str, source: str) -> Policy:
    """Validate policy YAML ``text``; ``source`` names it in error messages."""
    data = _parse_yaml(text, source)
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        raise PolicyError(source, [f"the file is {what}, expected a mapping of policy keys"])
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        raise PolicyError(source, _describe_all(e.errors())) from None


def default_policy_text() -> str:
    """The shipped default policy, comments included (``loanwatch init`` copies it)."""
    return resources.files("loanwatch.policy").joinpath(DEFAULT_POLICY_FILE).read_text("utf-8")


def load_default_policy() -> Policy:
    """The shipped default policy."""
    return load_policy_text(default_policy_text(), DEFAULT_POLICY_FILE)


def policy_to_yaml(policy: Policy) -> str:
    """The policy as YAML that loads back to an equal policy (without comments)."""
    data = policy.model_dump(mode="python", by_alias=True)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# --- reading -------------------------------------------------------------------------------

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML (libyaml when present) with exact decimals and no repeated keys."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # YAML 1.1 oddities such as .inf or 1:30.5
        return loader.construct_yaml_float(node)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            continue
        key = loader.construct_object(key_node)
        if key in first_line:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {first_line[key]})",
                key_node.start_mark)
        first_line[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader: plain data only
    except yaml.MarkedYAMLError as e:
        raise PolicyError(source, [_describe_yaml(e)]) from None
    except yaml.YAMLError as e:
        raise PolicyError(source, [f"YAML error: {e}"]) from None


def _describe_yaml(e: yaml.MarkedYAMLError) -> str:
    mark = e.problem_mark or e.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = e.problem or e.context or "invalid YAML"
    if e.context and e.problem and e.context_mark:
        problem += f" ({e.context} at line {e.context_mark.line + 1})"
    kind = "" if isinstance(e, yaml.constructor.ConstructorError) else "YAML syntax error: "
    return f"{where}{kind}{problem}"


# --- explaining validation errors ------------------------------------------------------------

_PLAIN_MESSAGES = {
    "missing": "missing key",
    "extra_forbidden": "unknown key",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "tuple_type": "must be a list",
    "string_type": "must be text (put it in quotes)",
}
_SHOULD = ("Input should ", "String should ", "Decimal input should ", "Value should ")


def key_path(loc: Sequence[int | str]) -> str:
    """``("buckets", 2, "max_dpd")`` -> ``buckets[2].max_dpd``.

    >>> key_path(("signals", "FLOW-BACKFLOW", "params", "window_days"))
    'signals.FLOW-BACKFLOW.params.window_days'
    """
    path = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _describe_all(errors: list[ErrorDetails]) -> list[str]:
    """One line per error; a misspelt key gives one "did you mean" line, not two."""
    guesses = _misspellings(errors)
    intended = set(guesses.values())
    lines = []
    for error in errors:
        loc = tuple(error["loc"])
        if loc in guesses:
            lines.append(f"{key_path(loc)}: unknown key (did you mean {guesses[loc][-1]!r}?)")
        elif not (error["type"] == "missing" and loc in intended):
            lines.append(_describe(error))
    return lines


def _misspellings(errors: list[ErrorDetails]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Unknown key -> the missing sibling key it most likely misspells."""
    missing = [tuple(e["loc"]) for e in errors if e["type"] == "missing"]
    guesses = {}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not loc or not isinstance(loc[-1], str):
            continue
        siblings = [m[-1] for m in missing if m[:-1] == loc[:-1] and isinstance(m[-1], str)]
        close = difflib.get_close_matches(loc[-1], siblings, n=1)
        if close:
            guesses[loc] = (*loc[:-1], close[0])
    return guesses


def _describe(error: ErrorDetails) -> str:
    at = tuple(error.get("ctx", {}).get("at", ()))
    message = _PLAIN_MESSAGES.get(error["type"]) or _plain(error["msg"])
    if error["type"].endswith(("_type", "_parsing", "enum")):
        message += f" (got {_show(error['input'])})"
    return f"{key_path((*error['loc'], *at))}: {message}"


def _plain(msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    for should in _SHOULD:
        if msg.startswith(should):
            return "must " + msg.removeprefix(should)
    return msg


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- writing -------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Writes decimals as plain numbers, enums as their values and tuples as lists."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)
_Dumper.add_multi_representer(Enum, lambda dumper, value: dumper.represent_str(value.value))
