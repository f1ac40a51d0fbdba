// The one import of the vendored @tanstack/virtual-core; components/VirtualList.js uses it.
import "./process-shim.js";
export {
  Virtualizer, elementScroll, observeElementRect, observeElementOffset,
} from "../../vendor/virtual-core/index.js";
