// Chat files as the shell's dialogs carry them: UTF-8 text ↔ base64. Pure, node-tested.
import { base64ToBytes, bytesToBase64 } from "./personas.js";

/** base64 (a file the native dialog read) → its UTF-8 text. */
export function base64ToText(data) {
  return new TextDecoder().decode(base64ToBytes(String(data ?? "")));
}

/** UTF-8 text → base64, for the native save dialog. */
export function textToBase64(text) {
  return bytesToBase64(new TextEncoder().encode(String(text ?? "")));
}
