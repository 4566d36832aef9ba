# Reads a safetensors file with scripts/safetensors_numpy.py (the standard library and NumPy alone, no glimpse code), as
# an independent check of glimpse's writer (test_safetensors.cpp runs it). Prints the metadata, then one line per
# tensor in data order:
#   name dtype [shape] [row-major values]
# and exits non-zero if the layout breaks the format: an unpadded header (checked here), holes between tensors, wrong
# byte counts or bytes after the last tensor (the reader raises). BF16 comes back widened to float32, named bfloat16.
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_numpy import dtypes, load_file  # noqa: E402

path = sys.argv[1]
with open(path, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
assert n % 8 == 0, "header is not padded to a multiple of 8 bytes"
tensors, metadata = load_file(path)
codes = dtypes(path)
print("metadata", json.dumps(metadata, sort_keys=True, ensure_ascii=False))
for name, array in tensors.items():
    print(name, "bfloat16" if codes[name] == "BF16" else str(array.dtype), list(array.shape), array.ravel().tolist())
