"""Scripts the window benchmarks run in the page, and what their results mean.

Times are the page's own clock (`performance.now()`).  "Painted" is read as the page reads it:
once the DOM shows the awaited state, the next animation frame is the one that paints it, and
a message posted from that frame's callback runs after the paint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pajamas.perf.stats import summarize

# A change made by `action` ("input": set an input's value and fire `input`, as a keystroke
# does; "hash": navigate to `value`), timed until `ready` (a named check of the DOM) holds
# and is painted.  Resolves to the milliseconds taken.
TIMED_CHANGE: Final = """async ({action, selector, value, ready, expect, timeoutMs}) => {
  const text = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent.trim() ?? "";
  const checks = {
    memoryResults: () => {
      if (!/^\\d+ results?$/.test(text("memory-count"))) return false;
      if (text("memory-count").startsWith("0 ")) return true;
      return Boolean(document.querySelector(
        '[data-testid=memory-list] [data-testid=memory-row] [data-testid=memory-score]'));
    },
    memoryAll: () => /^\\d+ memor(y|ies)$/.test(text("memory-count"))
      && Boolean(document.querySelector('[data-testid=memory-list] [data-testid=memory-row]')),
    personas: () => text("persona-count") === expect.count && document.querySelector(
      '[data-testid=persona-list] .vlist-row[data-index="0"] [data-testid=persona-row]'
    )?.dataset.persona === expect.first,
  };
  const check = checks[ready];
  const painted = () => new Promise((resolve) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(0);
  }));
  return await new Promise((resolve, reject) => {
    let observer = null;
    const timer = setTimeout(() => { observer?.disconnect(); reject(new Error(
      `${ready} not shown within ${timeoutMs} ms`)); }, timeoutMs);
    const done = () => {
      observer.disconnect();
      clearTimeout(timer);
      painted().then((end) => resolve(end - start));
    };
    observer = new MutationObserver(() => { if (check()) done(); });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                     attributes: true});
    const input = action === "hash" ? null : document.querySelector(selector);
    if (action !== "hash" && !input) {
      observer.disconnect();
      clearTimeout(timer);
      reject(new Error(`nothing on the page matches ${selector}`));
      return;
    }
    const start = performance.now();
    if (action === "hash") {
      location.hash = value;
    } else {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, value);
      input.dispatchEvent(new Event("input", {bubbles: true}));
    }
    if (check()) done();
  });
}"""

# The scroll both probes below make: `el` from top to bottom in `steps` frames, one jump a
# frame, calling `each()` at every frame; resolves to the frame times (requestAnimationFrame
# deltas, ms).
_SCROLL_STEPS: Final = """
  const scrollSteps = (el, steps, each) => new Promise((resolve) => {
    const end = el.scrollHeight - el.clientHeight;
    const frames = [];
    let step = 0;
    let last = null;
    const tick = (now) => {
      if (last !== null) frames.push(now - last);
      last = now;
      each();
      if (step > steps) { resolve(frames); return; }
      el.scrollTop = Math.round(end * step / steps);
      step += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });"""

# Scroll the list `selector` from top to bottom in `steps` frames, one jump a frame; each
# frame's time (requestAnimationFrame deltas), the rows in the DOM at each frame, and every
# long task (PerformanceObserver "longtask") meanwhile and for `settleMs` after.
SCROLL: Final = """async ({selector, steps, settleMs}) => {""" + _SCROLL_STEPS + """
  const list = document.querySelector(selector);
  const rows = () => list.querySelectorAll(".vlist-row").length;
  const supported = (PerformanceObserver.supportedEntryTypes ?? []).includes("longtask");
  const tasks = [];
  const observer = supported ? new PerformanceObserver((found) => {
    for (const entry of found.getEntries()) tasks.push(entry.duration);
  }) : null;
  observer?.observe({type: "longtask"});
  const counts = [rows()];
  const frames = await scrollSteps(list, steps, () => counts.push(rows()));
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  counts.push(rows());
  observer?.disconnect();
  return {frames, counts, tasks, longtask: supported, reached: list.scrollTop,
          end: list.scrollHeight - list.clientHeight, total: Number(list.dataset.count)};
}"""

# The window's own floor for SCROLL: a plain box of static rows (no script, no fetching, no
# virtual list), laid over the page, scrolled a jump a frame for `steps` frames, then removed.
# Its frame times are what any scrolling costs in this window on this machine (the drawing of
# the frames), whatever the list does.
SCROLL_FLOOR: Final = """async ({steps}) => {""" + _SCROLL_STEPS + """
  const box = document.createElement("div");
  box.style.cssText = "position:fixed;inset:80px 80px auto auto;width:640px;height:480px;"
    + "overflow:auto;z-index:2147483647;background:Canvas;color:CanvasText";
  for (let i = 0; i < 400; i += 1) {
    const row = document.createElement("div");
    row.style.cssText = "height:68px;border-bottom:1px solid GrayText;padding:8px";
    row.textContent = `row ${i}: a plain line of text, as long as a memory's first line`;
    box.appendChild(row);
  }
  document.body.appendChild(box);
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const frames = await scrollSteps(box, steps, () => undefined);
  box.remove();
  return frames;
}"""


@dataclass(frozen=True)
class ScrollReport:
    """A scroll's figures: frame times (ms), the most rows in the DOM, the long tasks (ms)."""

    frames: list[float]
    max_rows: int
    tasks: list[float]
    longtask_supported: bool
    reached_bottom: bool
    floor: list[float] = field(default_factory=list)  # SCROLL_FLOOR's frames, when taken

    @classmethod
    def of(cls, result: Mapping[str, Any], floor: Sequence[float] = ()) -> ScrollReport:
        """The report of SCROLL's result (and of SCROLL_FLOOR's, if taken)."""
        frames = [float(f) for f in result["frames"]]
        if not frames:
            raise ValueError("the scroll saw no frame")
        counts: Sequence[int] = result["counts"]
        return cls(frames, max(counts), [float(t) for t in result["tasks"]],
                   bool(result["longtask"]), result["reached"] >= result["end"] - 1,
                   [float(f) for f in floor])

    @property
    def longest_task(self) -> float:
        """The longest long task in ms (0 when none was over the browser's 50 ms)."""
        return max(self.tasks, default=0.0)

    def extra(self) -> dict[str, float | str]:
        """The figures beside the frame times, as a benchmark's extra."""
        return {"max_rows": self.max_rows, "longest_task_ms": self.longest_task,
                "long_tasks": len(self.tasks), "frames": len(self.frames),
                "longtask_observed": "yes" if self.longtask_supported else "unsupported",
                "reached_bottom": "yes" if self.reached_bottom else "no",
                **self._floor()}

    def _floor(self) -> dict[str, float]:
        """The plain box's frame times p50 and p95 (ms, as the suite computes them), when it
        was scrolled."""
        if not self.floor:
            return {}
        floor = summarize(self.floor)
        return {"floor_p50_ms": floor.median, "floor_p95_ms": floor.p95}
