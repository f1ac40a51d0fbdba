// The one import of the vendored uPlot (time-series charts); pages import it from here.
// Its stylesheet, vendor/uplot/uPlot.min.css, is linked from index.html.
export { default as uPlot } from "../../vendor/uplot/uPlot.esm.js";
