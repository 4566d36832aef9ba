"""save_safetensors(tensors, path): writes PyTorch tensors as a safetensors file, for the reference scripts.

The format by hand, so the safetensors package is not needed: 8 bytes of little-endian header length, a JSON header
(padded with spaces to a multiple of 8 bytes) giving each tensor's dtype, shape and byte range, then the raw data.
Used by tests/nn/reference/*.py and tests/optim/reference/make_reference.py; the C++ tests only read their output.
"""
import json
import os
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(tensors, path, max_bytes=50_000, metadata=None):
    """metadata: an optional dict of strings (the header's "__metadata__"); max_bytes=None lifts the size guard the
    test references keep (to export a real model, e.g. a nanoGPT checkpoint: README, Interop with PyTorch)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()  # little-endian on every machine torch runs on here
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the header is padded to a multiple of 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    size = os.path.getsize(path)
    assert max_bytes is None or size < max_bytes, f"{path} is {size} bytes; keep reference files small"
    print(f"wrote {path} ({size} bytes, {len(tensors)} tensors)")
