// A tiny inline-SVG line chart of recent values; no chart library needed.
import { html } from "../lib/preact.js";
import { sparklinePoints } from "../lib/sparkline.js";

/**
 * Props: values (numbers, oldest first), width, height, testid, label, and seen: how many
 * values ever came (values keeps only the last few), shown as data-seen for tests.
 */
export function Sparkline({ values, width = 240, height = 48, testid, label, seen }) {
  const points = sparklinePoints(values, width, height);
  const last = points ? points.split(" ").at(-1).split(",") : null;
  return html`
    <svg class="sparkline" data-testid=${testid} data-count=${values.length}
         data-seen=${seen ?? values.length}
         viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height}
         preserveAspectRatio="none" role="img" aria-label=${label}>
      <line class="sparkline-base" x1="0" y1=${height - 0.5} x2=${width} y2=${height - 0.5} />
      ${points && html`<polyline class="sparkline-line" points=${points} />`}
      ${last && html`<circle class="sparkline-dot" cx=${last[0]} cy=${last[1]} r="2.5" />`}
    </svg>`;
}
