"""``tf.flags`` / ``tf.app.flags``: command-line flags as TF1 programs define them (absl-style, our own code).

>>> import trainer as tf
>>> tf.flags.DEFINE_integer("batch_size", 32, "examples per step")
>>> tf.flags.DEFINE_boolean("fake_data", False, "use fake data")
>>> FLAGS = tf.flags.FLAGS
>>> FLAGS(["prog", "--batch_size=8", "--fake_data", "rest"])
['prog', 'rest']
>>> FLAGS.batch_size, FLAGS.fake_data
(8, True)

Like TF1's wrapper, reading a flag before anything parsed the command line parses ``sys.argv`` (known
flags only). Arguments: ``--name=value``, ``--name value``, ``--flag``/``--noflag`` for booleans; ``--``
ends the flags. Unknown flags are left in the returned argv (as ``tf.app.run`` does).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from trainer.errors import InvalidArgumentError


class Error(InvalidArgumentError):
    """A bad flag value or definition."""


class DuplicateFlagError(Error):
    """The same flag defined again from another module."""


class UnrecognizedFlagError(Error):
    """Parsing met a flag nobody defined (only when unknown flags are not allowed)."""


def _parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("true", "t", "1", "yes", "y"):
        return True
    if t in ("false", "f", "0", "no", "n"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


class Flag:
    """One flag: its name, parser, default, help and current value."""

    def __init__(
        self, name: str, default: Any, help: str, parser: Callable[[str], Any], kind: str, module: str
    ):
        self.name, self.help, self.parser, self.kind, self.module = name, help, parser, kind, module
        self.default = self._convert(default) if isinstance(default, str) and kind != "string" else default
        self.value = self.default
        self.present = False

    def _convert(self, text: str) -> Any:
        try:
            return self.parser(text)
        except ValueError as e:
            raise Error(f"flag --{self.name}: {e}") from None

    def parse(self, text: str) -> None:
        self.value = self._convert(text)
        self.present = True


class FlagValues:
    """The set of defined flags; attribute access gives their values (``FLAGS.learning_rate``)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_parsed", False)

    # ---- definition ----------------------------------------------------------------------------------
    def _define(self, flag: Flag) -> None:
        old = self._flags.get(flag.name)
        if old is not None and old.module != flag.module:
            raise DuplicateFlagError(
                f"flag --{flag.name} is defined in {old.module} and again in {flag.module}"
            )
        self._flags[flag.name] = flag

    # ---- parsing -------------------------------------------------------------------------------------
    def __call__(self, argv: Sequence[str], known_only: bool = True) -> list[str]:
        """Parse ``argv`` (``argv[0]`` is the program); return the program and the arguments left over."""
        argv = list(argv)
        rest = argv[:1]
        i = 1
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":
                rest.extend(argv[i:])
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            body = arg.lstrip("-")
            name, eq, value = body.partition("=")
            flag = self._flags.get(name)
            if flag is None and name.startswith("no") and not eq:
                neg = self._flags.get(name[2:])
                if neg is not None and neg.kind == "bool":
                    neg.value, neg.present = False, True
                    continue
            if flag is None:
                if name in ("help", "helpfull", "h"):
                    print(self.help_text())
                    sys.exit(0)
                if not known_only:
                    raise UnrecognizedFlagError(f"unknown command line flag {arg!r}")
                rest.append(arg)
                continue
            if not eq:
                if flag.kind == "bool":
                    flag.value, flag.present = True, True
                    continue
                if i >= len(argv):
                    raise Error(f"flag --{name} needs a value")
                value = argv[i]
                i += 1
            flag.parse(value)
        object.__setattr__(self, "_parsed", True)
        return rest

    def is_parsed(self) -> bool:
        return self._parsed

    def mark_as_parsed(self) -> None:
        object.__setattr__(self, "_parsed", True)

    def unparse_flags(self) -> None:
        for f in self._flags.values():
            f.value, f.present = f.default, False
        object.__setattr__(self, "_parsed", False)

    # ---- values --------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        flags = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(f"no flag --{name} is defined")
        if not self.__dict__["_parsed"]:
            self(sys.argv, known_only=True)
        return flags[name].value

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._flags:
            raise AttributeError(f"no flag --{name} is defined (define it with tf.flags.DEFINE_...)")
        self._flags[name].value = value

    def __contains__(self, name: str) -> bool:
        return name in self._flags

    def __getitem__(self, name: str) -> Flag:
        return self._flags[name]

    def __iter__(self) -> Any:
        return iter(self._flags)

    def flag_values_dict(self) -> dict[str, Any]:
        return {n: f.value for n, f in self._flags.items()}

    def help_text(self) -> str:
        lines = [f"  --{n}: {f.help}\n    (default: {f.default!r})" for n, f in sorted(self._flags.items())]
        return "flags:\n" + "\n".join(lines)

    def _reset(self) -> None:
        """Forget every flag (tests)."""
        self._flags.clear()
        object.__setattr__(self, "_parsed", False)


FLAGS = FlagValues()


def _define(name: str, default: Any, help: str, parser: Callable[[str], Any], kind: str, fv: Any) -> None:
    """Define a flag; its module is the DEFINE_* caller's (two frames up)."""
    module = sys._getframe(2).f_globals.get("__name__", "?")
    (fv or FLAGS)._define(Flag(name, default, help, parser, kind, module))


def DEFINE_string(name: str, default: str | None, help: str, flag_values: Any = None, **_: Any) -> None:  # noqa: N802
    _define(name, default, help, str, "string", flag_values)


def DEFINE_integer(name: str, default: int | None, help: str, flag_values: Any = None, **_: Any) -> None:  # noqa: N802
    _define(name, default, help, int, "int", flag_values)


def DEFINE_float(name: str, default: float | None, help: str, flag_values: Any = None, **_: Any) -> None:  # noqa: N802
    _define(name, default, help, float, "float", flag_values)


def DEFINE_boolean(name: str, default: bool | None, help: str, flag_values: Any = None, **_: Any) -> None:  # noqa: N802
    _define(name, default, help, _parse_bool, "bool", flag_values)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name: str, default: Any, help: str, flag_values: Any = None, **_: Any) -> None:  # noqa: N802
    """A comma-separated list of strings."""
    value = default.split(",") if isinstance(default, str) else default
    _define(name, value, help, lambda t: [s for s in t.split(",") if s], "list", flag_values)


def DEFINE_enum(  # noqa: N802
    name: str, default: str | None, enum_values: Sequence[str], help: str, flag_values: Any = None, **_: Any
) -> None:
    """A string that must be one of ``enum_values``."""
    allowed = list(enum_values)

    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"{text!r} is not one of {allowed}")
        return text

    _define(name, default, help, parse, "enum", flag_values)


def mark_flag_as_required(name: str, flag_values: Any = None) -> None:
    """Checked by ``tf.app.run``: the flag must be given (or have a non-None default)."""
    _REQUIRED.append((flag_values or FLAGS, name))


_REQUIRED: list[tuple[FlagValues, str]] = []


def check_required() -> None:
    for fv, name in _REQUIRED:
        if name in fv and fv[name].value is None:
            raise Error(f"flag --{name} must be specified")
