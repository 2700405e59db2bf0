"""A minimal OpenStreetMap PBF writer for tests: nodes and tagged ways, nothing else.

Written from the format description (OSM wiki "PBF Format": BlobHeader,
Blob, HeaderBlock, PrimitiveBlock with plain Node and Way messages), with
hand-made protobuf encoding, so the reader is tested against a file no part
of the project wrote.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _key(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)


def _int(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def _sint(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(_zigzag(value))


def _bytes(number: int, value: bytes) -> bytes:
    return _key(number, 2) + _varint(len(value)) + value


def _packed(number: int, values: list[int]) -> bytes:
    return _bytes(number, b"".join(_varint(v) for v in values))


def _blob(kind: str, payload: bytes) -> bytes:
    blob = _int(2, len(payload)) + _bytes(3, zlib.compress(payload))
    header = _bytes(1, kind.encode()) + _int(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def write_osm_pbf(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
) -> Path:
    """Write nodes ``{id: (lon, lat)}`` and ways ``(id, node ids, tags)`` as an ``.osm.pbf``."""
    header = _bytes(4, b"OsmSchema-V0.6") + _bytes(16, b"jangkau-tests")
    strings = [b""]

    def string_id(text: str) -> int:
        encoded = text.encode()
        if encoded not in strings:
            strings.append(encoded)
        return strings.index(encoded)

    node_messages = b""
    for node_id, (lon, lat) in sorted(nodes.items()):
        node = _sint(1, node_id) + _sint(8, round(lat * 1e7)) + _sint(9, round(lon * 1e7))
        node_messages += _bytes(1, node)
    way_messages = b""
    for way_id, refs, tags in ways:
        keys = [string_id(k) for k in tags]
        values = [string_id(v) for v in tags.values()]
        deltas = [_zigzag(b - a) for a, b in zip([0, *refs], refs, strict=False)]
        way = _int(1, way_id) + _packed(2, keys) + _packed(3, values) + _packed(8, deltas)
        way_messages += _bytes(3, way)
    table = b"".join(_bytes(1, s) for s in strings)
    block = (
        _bytes(1, table)
        + _bytes(2, node_messages)
        + _bytes(2, way_messages)
        + _int(17, 100)
        + _int(18, 1000)
    )
    path.write_bytes(_blob("OSMHeader", header) + _blob("OSMData", block))
    return path
