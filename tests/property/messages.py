"""Protobuf messages from their descriptors: wholly random ones, and valid templates with one
to three fields (anywhere in the message, nested ones included) replaced by hostile values.

Random messages reach a service's first checks; mutated templates get past them to the code
behind (SQL, NATS, the judge), one hostile field at a time. Field names can be given their own
strategy (``overrides``: page tokens get forged tokens). String fields holding ``FRESH`` in a
template get a new uuid each time the message is sent (``with_fresh_ids``; other sentinels
are resolved by the caller's functions), so a valid request is never a stale duplicate of an
earlier case while hypothesis still replays the same case (its report shows them as "fresh").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from tests.property import values

FRESH = "\ue000fresh"  # a private-use sentinel no strategy draws
Overrides = Mapping[str, st.SearchStrategy[Any]]
NONE: Overrides = MappingProxyType({})
Path = tuple[Any, ...]  # field names and, for repeated fields, element indexes
F = FieldDescriptor
_INTS = {F.TYPE_INT32: "int32", F.TYPE_SINT32: "int32", F.TYPE_SFIXED32: "int32",
         F.TYPE_INT64: "int64", F.TYPE_SINT64: "int64", F.TYPE_SFIXED64: "int64",
         F.TYPE_UINT32: "uint32", F.TYPE_FIXED32: "uint32",
         F.TYPE_UINT64: "uint64", F.TYPE_FIXED64: "uint64"}
_ENUM_EXTRAS = (-1, 99, 2**31 - 1, -(2**31))


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def scalar(field: FieldDescriptor, ceiling: int | None, depth: int,
           overrides: Overrides) -> st.SearchStrategy[Any]:
    """A hostile value of one (non-repeated) field's type."""
    if field.name in overrides:
        return overrides[field.name]
    if field.type == F.TYPE_STRING:
        return values.hostile_text(ceiling)
    if field.type == F.TYPE_BYTES:
        return values.hostile_bytes(ceiling)
    if field.type in _INTS:
        return values.hostile_int(_INTS[field.type])
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return values.hostile_float()
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values] + list(_ENUM_EXTRAS))
    return random_message(field.message_type, ceiling=ceiling, depth=depth - 1,
                          overrides=overrides)


def field_value(field: FieldDescriptor, *, ceiling: int | None = None, depth: int = 2,
                overrides: Overrides = NONE) -> st.SearchStrategy[Any]:
    """A hostile value for ``field`` as a whole: a list for repeated fields, a dict for maps."""
    if _is_map(field):
        key_f, value_f = (field.message_type.fields_by_name[n] for n in ("key", "value"))
        key, value = scalar(key_f, ceiling, depth, NONE), scalar(value_f, ceiling, depth, NONE)
        many = st.builds(lambda v, n: {f"k{i}": v for i in range(n)},
                         scalar(value_f, values.KIB + 1, depth, NONE),
                         st.sampled_from(values.LIST_EDGES[:3]))
        return values.weighted((3, st.dictionaries(key, value, max_size=3)), (1, many))
    if field.is_repeated:
        element = scalar(field, ceiling, depth, overrides)
        small = scalar(field, 256, depth, overrides)  # a thousand copies must stay sendable
        many = st.builds(lambda v, n: [v] * n, small, st.sampled_from(values.LIST_EDGES))
        return values.weighted((4, st.lists(element, max_size=3)), (1, many))
    return scalar(field, ceiling, depth, overrides)


def assign(message: Message, field: FieldDescriptor, value: Any) -> None:
    """Set ``field`` of ``message`` to ``value`` (a list for repeated, a dict for maps)."""
    target = getattr(message, field.name)
    if _is_map(field):
        target.clear()
        value_f = field.message_type.fields_by_name["value"]
        for k, v in value.items():
            if value_f.message_type is None:
                target[k] = v
            else:
                target[k].CopyFrom(v)
    elif field.is_repeated:
        del target[:]
        if field.message_type is None:
            target.extend(value)
        else:
            for item in value:
                target.add().CopyFrom(item)
    elif field.message_type is not None:
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


@st.composite
def _random(draw: st.DrawFn, descriptor: Descriptor, ceiling: int | None, depth: int,
            overrides: Overrides) -> Message:
    message = message_class(descriptor)()
    if depth < 0:
        return message
    for field in descriptor.fields:
        if draw(st.booleans()):
            assign(message, field, draw(field_value(field, ceiling=ceiling, depth=depth,
                                                    overrides=overrides)))
    return message


def random_message(descriptor: Descriptor, *, ceiling: int | None = None, depth: int = 2,
                   overrides: Overrides = NONE) -> st.SearchStrategy[Message]:
    """Any message of this type: each field unset or hostile, nested ``depth`` deep."""
    return _random(descriptor, ceiling, depth, overrides)


def paths(message: Message) -> list[Path]:
    """Every field of ``message`` (set or not) and, inside set submessages and the elements
    of repeated submessages, theirs: the places a mutation can hit."""
    found: list[Path] = []
    for field in message.DESCRIPTOR.fields:
        found.append((field.name,))
        if _is_map(field) or field.message_type is None:
            continue
        if field.is_repeated:
            for i, item in enumerate(getattr(message, field.name)):
                found += [(field.name, i, *p) for p in paths(item)]
        elif message.HasField(field.name):
            found += [(field.name, *p) for p in paths(getattr(message, field.name))]
    return found


def _parent(message: Message, path: Path) -> tuple[Message, FieldDescriptor]:
    node = message
    for step in path[:-1]:
        node = node[step] if isinstance(step, int) else getattr(node, step)
    return node, node.DESCRIPTOR.fields_by_name[path[-1]]


@st.composite
def _mutated(draw: st.DrawFn, template: Message, ceiling: int | None, overrides: Overrides,
             places: list[Path]) -> Message:
    message = type(template)()
    message.CopyFrom(template)
    chosen = draw(st.lists(st.sampled_from(places), min_size=1, max_size=3, unique=True))
    for path in sorted(chosen, key=len, reverse=True):  # a replaced parent wins over its child
        parent, field = _parent(message, path)
        assign(parent, field, draw(field_value(field, ceiling=ceiling, overrides=overrides)))
    return message


def mutated(template: Message, *, ceiling: int | None = None,
            overrides: Overrides = NONE) -> st.SearchStrategy[Message]:
    """``template`` with one to three of its fields (see ``paths``) made hostile."""
    places = paths(template)
    return _mutated(template, ceiling, overrides, places) if places else st.just(template)


def _strings(message: Message) -> Iterator[tuple[Message, FieldDescriptor]]:
    for field, value in message.ListFields():
        if field.message_type is not None and not _is_map(field):
            for item in (value if field.is_repeated else [value]):
                yield from _strings(item)
        elif field.type == F.TYPE_STRING and not field.is_repeated:
            yield message, field


def with_fresh_ids(message: Message,
                   resolve: Mapping[str, Callable[[], str]] = MappingProxyType({})) -> Message:
    """A copy with every string field that holds ``FRESH`` set to a new uuid, and every one
    that holds another sentinel in ``resolve`` set to what its function returns now."""
    fresh = type(message)()
    fresh.CopyFrom(message)
    for owner, field in _strings(fresh):
        value = getattr(owner, field.name)
        if value == FRESH:
            setattr(owner, field.name, uuid.uuid4().hex)
        elif value in resolve:
            setattr(owner, field.name, resolve[value]())
    return fresh


def copy_request_ids(source: Message, target: Message) -> None:
    """Give ``target`` the request_ids ``source`` has at the same places (a reused request_id
    with another body)."""
    for path in paths(source):
        if path[-1] != "request_id":
            continue
        try:
            src_parent, field = _parent(source, path)
            dst_parent, _ = _parent(target, path)
        except (IndexError, KeyError):
            continue
        setattr(dst_parent, field.name, getattr(src_parent, field.name))
