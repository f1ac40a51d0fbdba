// Checks what a person typed for a setting before it is sent. Pure, node-tested.
// The core checks again (settings.set); this is for a message at once, beside the field.

/** {ok: true, value} or {ok: false, error} for text typed for a setting of `type`. */
export function parseSettingInput(type, input, minimum = null) {
  if (type === "bool") {
    if (typeof input === "boolean") return { ok: true, value: input };
    return { ok: false, error: "must be on or off" };
  }
  const text = String(input ?? "").trim();
  if (type === "str") return { ok: true, value: String(input ?? "") };
  if (text === "") return { ok: false, error: "must not be empty" };
  let value;
  if (type === "int") {
    if (!/^[+-]?\d+$/.test(text)) return { ok: false, error: "must be a whole number" };
    value = Number(text);
    if (!Number.isSafeInteger(value)) return { ok: false, error: "is too large" };
  } else if (type === "float") {
    value = Number(text);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(value)) {
      return { ok: false, error: "must be a number" };
    }
  } else {
    return { ok: false, error: `has an unknown type ${type}` };
  }
  if (minimum !== null && minimum !== undefined && value < minimum) {
    return { ok: false, error: `must be at least ${minimum}` };
  }
  return { ok: true, value };
}

/** A setting's value as the text of its input. */
export function settingText(value) {
  if (value === null || value === undefined) return "";
  return String(value);
}
