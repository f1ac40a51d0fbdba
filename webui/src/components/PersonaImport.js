// Card import for the personas page: files from the native dialog, the file input or a drop
// are read here (bytes as base64, a thumbnail drawn on a canvas), sent to persona.import_files
// as one task, and its result (imported, or skipped and why, per file) is shown when it ends.
import { html, useRef, useState } from "../lib/preact.js";
import { call, chooseFiles, hasFileDialogs } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { base64ToBytes, bytesToBase64, importBatches, mergeResults } from "../lib/personas.js";
import { showToast } from "../lib/toast.js";

const THUMBNAIL_PX = 64;
const CARD_KINDS = ["Character cards (*.png;*.json)", "All files (*.*)"];

/** A small WebP (or PNG) data: URL of an image's bytes, or null when it is no image. */
export async function thumbnailOf(bytes) {
  try {
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const scale = THUMBNAIL_PX / Math.max(bitmap.width, bitmap.height);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const webp = canvas.toDataURL("image/webp", 0.8);
    return webp.startsWith("data:image/webp") ? webp : canvas.toDataURL("image/png");
  } catch {
    return null;
  }
}

async function fromFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { name: file.name, data: bytesToBase64(bytes), thumbnail: await thumbnailOf(bytes) };
}

async function fromDialog({ name, data }) {
  return { name, data, thumbnail: await thumbnailOf(base64ToBytes(data)) };
}

/**
 * The import's state and actions: {importing, result, dismiss, importFiles(files),
 * chooseNative()}. Files go in batches (lib/personas.js importBatches), each a task; their
 * results merge as their task.done events come (one that came before its call's reply too).
 */
export function useCardImport() {
  const [importing, setImporting] = useState(false);
  const [result, setResult] = useState(null);
  const run = useRef(null); // {pending: Set, early: Map, sending, result}

  function settle(view) {
    const current = run.current;
    current.pending.delete(view.id);
    if (view.state === "done") current.result = mergeResults(current.result, view.result);
    else showToast({ kind: "error", title: "Import failed", message: view.error?.message ?? view.state });
    if (current.result) setResult(current.result);
    if (!current.sending && current.pending.size === 0) finish(current);
  }
  function finish(current) {
    run.current = null;
    setImporting(false);
    if (!current.result) return;
    const { imported, skipped } = current.result;
    showToast({ kind: skipped ? "info" : "ok", title: "Import finished",
      message: `${imported} imported, ${skipped} skipped.` });
  }
  useHubEvent("task.done", ({ data }) => {
    const current = run.current;
    if (!current || !data?.id) return;
    if (current.pending.has(data.id)) settle(data);
    else current.early.set(data.id, data);
  });
  async function send(batches, read) {
    if (!batches.length || run.current) return;
    const current = { pending: new Set(), early: new Map(), sending: true, result: null };
    run.current = current;
    setImporting(true);
    setResult(null);
    try {
      for (const batch of batches) {
        const files = await Promise.all(batch.map(read));
        const { task } = await call("persona.import_files", { files });
        current.pending.add(task);
        if (current.early.has(task)) settle(current.early.get(task));
      }
    } finally {
      current.sending = false;
      if (current.pending.size === 0) finish(current);
    }
  }
  return {
    importing,
    result,
    dismiss: () => setResult(null),
    importFiles: (fileList) => send(importBatches([...fileList]), fromFile),
    chooseNative: async () => {
      const chosen = (await chooseFiles(CARD_KINDS)).map((f) => ({ ...f, size: f.data.length * 0.75 }));
      return send(importBatches(chosen), fromDialog);
    },
  };
}

/** The toolbar's import button and the (hidden, labelled) file input it falls back to. */
export function ImportButton({ cardImport }) {
  const input = useRef(null);
  const open = () => (hasFileDialogs() ? cardImport.chooseNative().catch(() => undefined)
    : input.current?.click());
  return html`
    <button class="button" type="button" onClick=${open} disabled=${cardImport.importing}
            data-testid="persona-import">
      ${cardImport.importing ? "Importing…" : "Import cards…"}
    </button>
    <label class="visually-hidden" for="persona-import-input">Card files to import</label>
    <input id="persona-import-input" class="visually-hidden" type="file" multiple
           accept=".png,.json,image/png,application/json" ref=${input}
           data-testid="persona-import-input"
           onChange=${(e) => { cardImport.importFiles(e.currentTarget.files).catch(() => undefined); e.currentTarget.value = ""; }} />`;
}

/** What the last import did, file by file. */
export function ImportResult({ result, onDismiss }) {
  if (!result) return null;
  return html`
    <section class="persona-import-result" aria-label="Import result" data-testid="import-result">
      <header>
        <b>${result.imported} imported, ${result.skipped} skipped</b>
        <button class="button ghost" type="button" onClick=${onDismiss} aria-label="Close the import result">✕</button>
      </header>
      <ul>
        ${result.items.map((item) => html`
          <li data-status=${item.status} data-testid="import-item">
            <span class=${`pill ${item.status === "imported" ? "pill-ok" : "warn"}`}>${item.status}</span>
            <span class="truncate">${item.name}</span>
            ${item.status === "imported"
              ? html`<a href=${`#/personas/${encodeURIComponent(item.persona)}`}>open ${item.persona_name}</a>`
              : html`<span class="muted">${item.reason}</span>`}
          </li>`)}
      </ul>
    </section>`;
}
