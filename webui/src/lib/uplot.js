// The one import of the vendored uPlot (time-series charts); pages import it from here.
// Its stylesheet, vendor/uplot/uPlot.min.css, is linked from index.html.
export { default as uPlot } from "../../vendor/uplot/uPlot.esm.js";

/** Keep chart as wide as el (at least min px): resize it with el; a cleanup that also destroys it. */
export function followWidth(chart, el, height, min = 240) {
  const resize = new ResizeObserver(() => {
    const width = Math.max(min, el.clientWidth);
    if (width !== chart.width) chart.setSize({ width, height });
  });
  resize.observe(el);
  return () => { resize.disconnect(); chart.destroy(); };
}
