// Globals of the browser tracker (DOM-only; see tsconfig.json).

/** Build-time flag: hash routing, outbound-link and file-download code is in the build (script.full.js and the npm module). */
declare const __FULL__: boolean;
/** Build-time flag: the script-tag builds (IIFE, configured by data-* attributes); false in the npm module. */
declare const __SCRIPT__: boolean;
/** Build-time flag: the npm module's development build (clear errors for bad `init` options). */
declare const __DEV__: boolean;

type TidemarkProps = Record<string, string | number | boolean>;

interface TidemarkOptions {
  props?: TidemarkProps;
}

interface Tidemark {
  (name: string, options?: TidemarkOptions): void;
  /** Calls made before the script loaded, queued by the snippet in the README. */
  q?: IArguments[];
}

interface Window {
  tidemark?: Tidemark;
}

interface Navigator {
  /** Global Privacy Control (not yet in lib.dom). */
  readonly globalPrivacyControl?: boolean;
}

interface Document {
  /** Speculation-rules prerendering (not yet in lib.dom). */
  readonly prerendering?: boolean;
}
