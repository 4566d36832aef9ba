"""A safetensors reader in pure NumPy, for machines without the `safetensors` package (Debian 12 has none).

    import sys; sys.path.insert(0, "scripts")
    from safetensors_numpy import load_file
    tensors, metadata = load_file("runs/gpt/ckpt_float16.safetensors")
    tensors["model.transformer.wte.weight"].dtype    # float16

The official package reads the same files: `safetensors.numpy.load_file(path)` (NumPy arrays) or
`safetensors.torch.load_file(path)` (PyTorch tensors, bfloat16 included).

The format: 8 bytes of little-endian header length N, N bytes of JSON ({name: {"dtype", "shape", "data_offsets"}},
plus an optional "__metadata__" of strings), then the data; each tensor's bytes are row-major and little-endian at
[begin, end) from the start of the data. NumPy has no bfloat16: BF16 tensors come back as float32 arrays holding the
very same values (a bfloat16 is the top half of a float32, so widening is a 16-bit shift), or as their raw uint16
patterns with bf16="raw".
"""
import json
import struct

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "?"}


def bfloat16_to_float32(bits):
    """uint16 bfloat16 patterns -> the float32 values they stand for (exact)."""
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def load_file(path, bf16="float32"):
    """Returns ({name: ndarray}, {metadata key: value}), tensors in the order of their data in the file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = memoryview(raw)[8 + n:]
    tensors, position = {}, 0
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        if begin != position:
            raise ValueError(f"{path}: tensor {name!r} starts at byte {begin}, expected {position}")
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {info['dtype']}, which this reader does not know")
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16" and bf16 != "raw":
            array = bfloat16_to_float32(array)
        tensors[name] = array
        position = end
    if position != len(data):
        raise ValueError(f"{path}: {len(data) - position} bytes after the last tensor")
    return tensors, metadata


def dtypes(path):
    """{name: safetensors dtype code} straight from the header (F32, F16, BF16, ...)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return {name: info["dtype"] for name, info in header.items()}
