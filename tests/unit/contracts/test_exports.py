"""The contract's public surface is pinned: an accidental rename or removal fails here.

After an intended change, regenerate the snapshot with `UPDATE_SNAPSHOT=1 make test-unit`.
"""

import importlib
import inspect
import os
import pkgutil
from pathlib import Path

import contracts
import contracts.huleedu as generated

SNAPSHOT = Path(__file__).with_name("exports.snapshot.txt")


def _helper_names():
    for name in contracts.PUBLIC_MODULES:
        module = importlib.import_module(f"contracts.{name}")
        public = getattr(module, "__all__", None) or [
            n for n in vars(module) if not n.startswith("_")
        ]
        for symbol in sorted(public):
            value = getattr(module, symbol)
            if inspect.ismodule(value):
                continue
            if getattr(value, "__module__", module.__name__) == module.__name__ or symbol.isupper():
                yield f"contracts.{name}.{symbol}"


def _generated_names():
    for info in pkgutil.walk_packages(generated.__path__, generated.__name__ + "."):
        if not info.name.endswith("_pb2"):
            continue
        file = importlib.import_module(info.name).DESCRIPTOR
        yield from (f"message {m.full_name}" for m in file.message_types_by_name.values())
        yield from (f"enum {e.full_name}" for e in file.enum_types_by_name.values())
        for service in file.services_by_name.values():
            yield from (f"rpc {service.full_name}/{m.name}" for m in service.methods)


def current() -> str:
    return "\n".join(sorted({*_helper_names(), *_generated_names()})) + "\n"


def test_public_names_match_the_snapshot():
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(current())
    assert current() == SNAPSHOT.read_text()
