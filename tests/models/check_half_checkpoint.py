"""Checks a half-size checkpoint written by glimpse against the float32 one it came from, reading both with
scripts/safetensors_numpy.py (NumPy only). test_gpt_half.cpp runs it; by hand:

    /usr/bin/python3 tests/models/check_half_checkpoint.py full.safetensors half.safetensors F16|BF16

Every tensor must be there with the same shape; every floating tensor must be stored as the given dtype, and its
values must be the float32 values rounded to nearest even: np.float16 for F16, integer ops on the float32 bits for
BF16 (NumPy has no bfloat16). int64 tensors must be untouched. Prints "ok" and counts, or fails with the first
difference.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_numpy import dtypes, load_file  # noqa: E402

full_path, half_path, code = sys.argv[1:4]
assert code in ("F16", "BF16"), code
full, _ = load_file(full_path)
half, metadata = load_file(half_path, bf16="raw")
codes = dtypes(half_path)
assert sorted(full) == sorted(half), f"names differ: {sorted(set(full) ^ set(half))}"
floats = 0
for name, f in full.items():
    h = half[name]
    assert h.shape == f.shape, f"{name}: shape {h.shape}, float32 file has {f.shape}"
    if f.dtype == np.int64:
        assert codes[name] == "I64" and np.array_equal(h, f), f"{name}: int64 tensor changed"
        continue
    assert f.dtype == np.float32, f"{name}: the float32 file holds {f.dtype}"
    assert codes[name] == code, f"{name}: stored as {codes[name]}, expected {code}"
    if code == "F16":
        assert h.dtype == np.float16
        want = f.astype(np.float16).view(np.uint16)
        got = h.view(np.uint16)
    else:
        u = f.view(np.uint32)
        want = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)).astype(np.uint16)
        got = h
    bad = np.flatnonzero(want.ravel() != got.ravel())
    assert bad.size == 0, f"{name}: element {bad[0]} is {got.ravel()[bad[0]]:04x}, NumPy rounds to {want.ravel()[bad[0]]:04x}"
    floats += f.size
print(f"ok {len(full)} tensors, {floats} floats as {code}; {os.path.getsize(half_path)} bytes vs "
      f"{os.path.getsize(full_path)}")
