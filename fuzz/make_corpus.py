#!/usr/bin/env python3
# Writes the seed corpus for fuzz_safetensors into fuzz/corpus/: a few tiny safetensors files, valid and invalid,
# each a different path through the reader for the fuzzer to mutate from. Run it again after changing it:
#   python3 fuzz/make_corpus.py
import json
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def safetensors(header, data=b"", pad=True):
    """The 8-byte little-endian header length, the header (a dict, or raw text), then the data."""
    text = (header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


F32_PAIR = struct.pack("<2f", 1.5, -2.0)
SEEDS = {
    # accepted
    "valid_f32": safetensors({"w": entry("F32", [2], 0, 8)}, F32_PAIR),
    "valid_all_dtypes": safetensors(
        {
            "__metadata__": {"step": "7", "note": "caf\u00e9"},
            "a": entry("F32", [2, 1], 0, 8),
            "b": entry("F64", [1], 8, 16),
            "c": entry("I64", [2], 16, 32),
            "empty": entry("F32", [0, 3], 32, 32),
            "scalar": entry("I64", [], 32, 40),
        },
        F32_PAIR + struct.pack("<d2qq", 0.25, -1, 2**62, 5),
    ),
    "valid_empty": safetensors({}),
    "valid_unpadded_spaced": safetensors('{ "w" : {"data_offsets":[0,8], "shape":[2], "dtype":"F32"} }', F32_PAIR,
                                         pad=False),
    # rejected
    "bad_short": b"\x08\x00\x00\x00\x00",
    "bad_header_past_end": struct.pack("<Q", 64) + b"{}",
    "bad_json": safetensors('{"w":{"dtype":"F32",'),
    "bad_root_array": safetensors("[1,2]"),
    "bad_unknown_dtype": safetensors({"w": entry("F16", [4], 0, 8)}, F32_PAIR),
    "bad_shape_overflow": safetensors({"w": entry("F32", [2**62, 4], 0, 8)}, F32_PAIR),
    "bad_byte_count": safetensors({"w": entry("F32", [3], 0, 8)}, F32_PAIR),
    "bad_overlap": safetensors({"a": entry("F32", [2], 0, 8), "b": entry("F32", [1], 4, 8)}, F32_PAIR),
    "bad_hole": safetensors({"a": entry("F32", [1], 0, 4)}, F32_PAIR),
    "bad_duplicate": safetensors('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                 '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', F32_PAIR),
    "bad_metadata": safetensors({"__metadata__": {"k": 1}}),
}

if __name__ == "__main__":
    CORPUS.mkdir(exist_ok=True)
    for name, data in SEEDS.items():
        (CORPUS / name).write_bytes(data)
    print(f"wrote {len(SEEDS)} seeds to {CORPUS}")
