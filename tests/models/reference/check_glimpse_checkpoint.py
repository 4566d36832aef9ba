#!/usr/bin/python3
"""The reverse direction of tests/models/test_interop.cpp: checkpoints that glimpse wrote load into the PyTorch models
with load_state_dict(strict=True), no renaming, and give PyTorch's numbers.

test_interop.cpp loads each PyTorch reference into the glimpse model and saves it again with Module::save as
<build>/interop_<name>.safetensors. This script reads those files (a few lines of struct + json: no safetensors
package needed), loads each into its PyTorch twin (nanoGPT's model from make_gpt_reference.py, bench/seq2seq_torch.py,
the Transformer of make_transformer_reference.py) strictly, runs the reference batch and compares the loss with the
committed reference. Run by hand after the test, with Debian's python3-torch:
    /usr/bin/python3 tests/models/reference/check_glimpse_checkpoint.py [build folder, default: build]
"""
import json
import os
import pathlib
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))
import make_gpt_reference as gpt_ref  # noqa: E402
import make_transformer_reference as tr_ref  # noqa: E402
from seq2seq_torch import Seq2Seq  # noqa: E402

NUMPY = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def load_file(path):
    """A safetensors file -> {name: torch tensor}, in the file's order."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, h in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = h["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=NUMPY[h["dtype"]]).reshape(h["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build")
    failures = 0
    for name in ["gpt", "gpt_nobias", "seq2seq", "transformer", "transformer_prenorm"]:
        ref = load_file(HERE / f"{name}.safetensors")
        path = build / f"interop_{name}.safetensors"
        if not path.exists():
            print(f"{name}: {path} not found; run ./build/tests/test_models -ts=interop first")
            failures += 1
            continue
        state = load_file(path)
        if name.startswith("gpt"):
            model = gpt_ref.GPT(dict(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=8,
                                     bias=name == "gpt"))
            model.load_state_dict(state, strict=True)
            _, loss = model(ref["idx"], ref["targets"])
        elif name == "seq2seq":
            model = Seq2Seq(src_vocab=9, tgt_vocab=10, emb=6, hidden=8)
            model.load_state_dict(state, strict=True)
            loss = model.loss(ref["src"], ref["src_lengths"], ref["tgt_in"], ref["tgt_out"])
        else:
            pre = name.endswith("prenorm")
            model = tr_ref.Transformer(src_vocab=7, tgt_vocab=9, d_model=8, heads=2, layers=1 if pre else 2, ff=16,
                                       pre_norm=pre, tie_embeddings=not pre)
            model.load_state_dict(state, strict=True)
            logits = model(ref["src"], ref["src_lengths"], ref["tgt_in"])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), ref["tgt_out"].reshape(-1), ignore_index=0,
                                   label_smoothing=0.1)
        diff = abs(loss.item() - ref["loss"].item())
        ok = diff <= 1e-6
        failures += not ok
        print(f"{name}: glimpse's file loads strictly into the PyTorch model; loss {loss.item():.6f}, reference "
              f"{ref['loss'].item():.6f} ({'ok' if ok else 'DIFFERENT'})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
