# Reads a safetensors file with nothing but the standard library and NumPy, as an independent check of glimpse's
# writer (test_safetensors.cpp runs it). Prints the metadata, then one line per tensor in data order:
#   name dtype [shape] [row-major values]
# and exits non-zero if the layout breaks the format (unpadded header, holes between tensors, wrong byte counts).
# BF16 has no NumPy dtype: its 16-bit patterns are the top halves of float32s, so they are widened by a shift.
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "F16": "<f2", "BF16": "<u2"}
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header is not padded to a multiple of 8 bytes"
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
print("metadata", json.dumps(header.pop("__metadata__", {}), sort_keys=True, ensure_ascii=False))
position = 0
for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
    begin, end = info["data_offsets"]
    assert begin == position, f"{name}: hole or overlap at byte {begin}"
    array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    dtype_name = str(array.dtype)
    if info["dtype"] == "BF16":
        array, dtype_name = (array.astype(np.uint32) << 16).view(np.float32), "bfloat16"
    print(name, dtype_name, list(array.shape), array.ravel().tolist())
    position = end
assert position == len(data), "bytes after the last tensor"
