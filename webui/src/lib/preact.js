// The one import of the vendored Preact + htm bundle; everything else imports from here.
export {
  html, render, createContext,
  useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback, useContext, useReducer,
} from "../../vendor/preact-htm.module.js";
