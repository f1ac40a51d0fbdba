// The one import of the vendored @tanstack/virtual-core; components/VirtualList.js uses it.
export {
  Virtualizer, elementScroll, observeElementRect, observeElementOffset,
} from "../../vendor/virtual-core/index.js";
