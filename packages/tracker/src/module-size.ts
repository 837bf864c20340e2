// What the npm module costs an app: small apps importing one more feature each, bundled and
// minified as an app's build would (rollup + terser), measured gzip -9. The size test holds the
// budget and the bench prints the figures.
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { appMinify } from '../rollup.config.mjs';

/**
 * The module's budget (issue 23): an app using automatic pageviews (with engagement time, SPA
 * navigations, back-forward-cache restores, prerendering, the opt-outs) and `track` with props
 * ships at most 1 KB gzip -9. What made it fit: the production build leaves the checks of `track`'s
 * name and props to the collector (the development build keeps them, check.ts), event ids come
 * from a blob URL instead of a hand-made UUID, and features are the options that are functions.
 * The sizes per feature are in the README.
 */
export const MODULE_BUDGET = { app: 'init + track', bytes: 1024 } as const;

const TRACK = `track('signup', { props: { plan: location.hash } });`;
const BEFORE_SEND = `beforeSend: (event) => (event.url.includes('/admin') ? null : event)`;

/**
 * Each app adds one feature to the one before it. Values come from the page (`location`), as an
 * app's do, so the minifier cannot decide `track`'s checks at build time and drop them.
 */
export const MODULE_APPS: Record<string, string> = {
  init: `import { init } from '@tidemark/tracker'; init({ site: 'example.com' });`,
  'init + track': `import { init, track } from '@tidemark/tracker'; init({ site: 'example.com' }); ${TRACK}`,
  '+ beforeSend': `import { init, track } from '@tidemark/tracker'; init({ site: 'example.com', ${BEFORE_SEND} }); ${TRACK}`,
  '+ respectDnt': `import { init, track, respectDnt } from '@tidemark/tracker';
    init({ site: 'example.com', ${BEFORE_SEND}, respectDnt }); ${TRACK}`,
  '+ hashRouting': `import { init, track, respectDnt, hashRouting } from '@tidemark/tracker';
    init({ site: 'example.com', ${BEFORE_SEND}, respectDnt, hashRouting }); ${TRACK}`,
  '+ trackPageview': `import { init, track, respectDnt, hashRouting, trackPageview } from '@tidemark/tracker';
    init({ site: 'example.com', ${BEFORE_SEND}, respectDnt, hashRouting, autoPageviews: false }); ${TRACK} trackPageview({ url: location.pathname });`,
  '+ fileDownloads': `import { init, track, respectDnt, hashRouting, trackPageview, fileDownloads } from '@tidemark/tracker';
    init({ site: 'example.com', ${BEFORE_SEND}, respectDnt, hashRouting, autoPageviews: false, fileDownloads }); ${TRACK} trackPageview({ url: location.pathname });`,
  '+ outboundLinks': `import { init, track, respectDnt, hashRouting, trackPageview, fileDownloads, outboundLinks } from '@tidemark/tracker';
    init({ site: 'example.com', ${BEFORE_SEND}, respectDnt, hashRouting, autoPageviews: false, fileDownloads, outboundLinks }); ${TRACK} trackPageview({ url: location.pathname });`,
};

export interface AppSize {
  code: string;
  gzipBytes: number;
}

/** Bundles each app against `moduleCode` (the built `dist/index.js`). */
export async function moduleAppSizes(moduleCode: string): Promise<Record<string, AppSize>> {
  const sizes: Record<string, AppSize> = {};
  for (const [name, source] of Object.entries(MODULE_APPS)) {
    const bundle = await rollup({
      input: 'app',
      plugins: [
        {
          name: 'app',
          resolveId: (id) => (id === 'app' || id === '@tidemark/tracker' ? id : null),
          load: (id) => (id === 'app' ? source : id === '@tidemark/tracker' ? moduleCode : null),
        },
      ],
    });
    try {
      const { output } = await bundle.generate({ format: 'es', plugins: [appMinify()] });
      const code = output[0].code;
      sizes[name] = { code, gzipBytes: gzipSync(code, { level: 9 }).length };
    } finally {
      await bundle.close();
    }
  }
  return sizes;
}
