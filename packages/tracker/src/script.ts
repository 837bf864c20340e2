// The script tag (`<script defer src=".../script.js" data-site="example.com">`): the options come
// from the tag's data-* attributes. Once the page is shown, after the initial pageview, it installs
// `window.tidemark(name, { props })` and replays the calls queued before (`window.tidemark.q`).
import { fileDownloads, outboundLinks } from './clicks.js';
import { start } from './engine.js';
import { hashRouting, respectDnt } from './features.js';

const script = document.currentScript as HTMLScriptElement;
const attr = (name: string) => script.getAttribute(`data-${name}`);
const queued = window.tidemark?.q;
start(
  {
    site: attr('site') || location.hostname,
    allowLocalhost: attr('allow-localhost') != null,
    features: __FULL__
      ? [attr('respect-dnt') != null && respectDnt, attr('hash') != null && hashRouting, fileDownloads, outboundLinks]
      : [attr('respect-dnt') != null && respectDnt],
  },
  new URL(attr('api') || '/api/event', script.src),
  (tracker) => {
    const api: Tidemark = (name, options) => tracker.send(name, options?.props);
    window.tidemark = api;
    for (const args of queued || []) api(...(args as unknown as Parameters<Tidemark>));
  },
);
