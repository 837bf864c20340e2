// The script tag (`<script defer src=".../script.js" data-site="example.com">`): the options come
// from the tag's data-* attributes; `start` installs `window.tidemark(name, { props })` and
// replays the calls queued before the script loaded (`window.tidemark.q`).
import { fileDownloads, outboundLinks } from './clicks.js';
import { start } from './engine.js';

const script = document.currentScript as HTMLScriptElement;
const attr = (name: string) => script.getAttribute(`data-${name}`);
const options: Parameters<typeof start>[0] = {
  site: attr('site') || location.hostname,
  endpoint: new URL(attr('api') || '/api/event', script.src),
  allowLocalhost: attr('allow-localhost') != null,
  respectDnt: attr('respect-dnt') != null,
};
if (__FULL__) {
  options.hashRouting = attr('hash') != null;
  options.fileDownloads = fileDownloads;
  options.outboundLinks = outboundLinks;
}
start(options);
