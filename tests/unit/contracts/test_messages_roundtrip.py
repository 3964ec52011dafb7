"""Every message of every generated module survives serialize -> parse unchanged."""

import importlib
import pkgutil

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

import contracts.huleedu as generated

T = FieldDescriptor


def _modules():
    for info in pkgutil.walk_packages(generated.__path__, generated.__name__ + "."):
        if info.name.endswith("_pb2"):
            yield importlib.import_module(info.name)


def _messages():
    for module in _modules():
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            yield getattr(module, desc.name)


SCALARS = {
    T.TYPE_STRING: "text é",
    T.TYPE_BYTES: b"\x00\xff",
    T.TYPE_BOOL: True,
    T.TYPE_DOUBLE: 0.25,
    T.TYPE_FLOAT: 0.5,
    T.TYPE_INT32: -7,
    T.TYPE_INT64: 1 << 40,
    T.TYPE_UINT32: 7,
    T.TYPE_UINT64: 1 << 50,
    T.TYPE_SINT32: -3,
    T.TYPE_SINT64: -5,
    T.TYPE_FIXED32: 9,
    T.TYPE_FIXED64: 11,
    T.TYPE_SFIXED32: -9,
    T.TYPE_SFIXED64: -11,
}


def _value(field):
    if field.type == T.TYPE_ENUM:
        return field.enum_type.values[-1].number
    return SCALARS[field.type]


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field (first member of each oneof) to a non-default value."""
    seen_oneofs = set()
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof and not field.containing_oneof.name.startswith("_"):
            if field.containing_oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(field.containing_oneof.name)
        _set(message, field, depth)
    return message


def _set(message, field, depth):
    if field.message_type and field.message_type.GetOptions().map_entry:
        getattr(message, field.name)["key"] = _map_value(message, field, depth)
    elif field.type == T.TYPE_MESSAGE:
        if depth > 3:
            return
        target = getattr(message, field.name)
        if field.is_repeated:
            fill(target.add(), depth + 1)
        else:
            target.SetInParent()
            fill(target, depth + 1)
    elif field.is_repeated:
        getattr(message, field.name).append(_value(field))
    else:
        setattr(message, field.name, _value(field))


def _map_value(message, field, depth):
    value_field = field.message_type.fields_by_name["value"]
    if value_field.type == T.TYPE_MESSAGE:
        raise NotImplementedError("no message-valued maps in the contract")
    return _value(value_field)


ALL = sorted(_messages(), key=lambda cls: cls.DESCRIPTOR.full_name)


def test_the_contract_defines_every_area():
    areas = {cls.DESCRIPTOR.full_name.split(".")[1] for cls in ALL}
    assert areas == {"common", "content", "llm", "cj", "events"}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.DESCRIPTOR.full_name)
def test_a_fully_populated_message_round_trips(cls):
    original = fill(cls())
    parsed = cls.FromString(original.SerializeToString())
    assert parsed == original
    if cls.DESCRIPTOR.fields:
        assert original.ByteSize() > 0
