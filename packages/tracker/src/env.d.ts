// Globals of the browser tracker (DOM-only; see tsconfig.json).

/** Build-time feature flag: true in dist/script.full.js, false in dist/script.js (terser global_defs). */
declare const __FULL__: boolean;

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
