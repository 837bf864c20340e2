// Outbound-link and file-download clicks (the full script, and the npm module's `outboundLinks`
// and `fileDownloads` features). Each feature listens to clicks and middle clicks (auxclick) on
// links, or anything inside them. Downloads listen in the capture phase, so they see a click
// first whatever order the features were started in, and mark it: a file on another host is one
// `download`, not also an `outbound`. Nothing is prevented or delayed: the beacon outlives the
// navigation.
import type { Tracker } from './types.js';

const FILE = /\.(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|pps|pptx?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma|dmg|iso|msi)$/i;
/** Clicks a download already counted. */
const counted = /* @__PURE__ */ new WeakSet<Event>();

function linkClicks({ send }: Tracker, name: string, test: (link: HTMLAnchorElement) => unknown, capture?: boolean): void {
  const onClick = (event: MouseEvent) => {
    const link = (event.target as Element).closest?.('a') as HTMLAnchorElement | null;
    if (link && (event.type === 'click' || event.button === 1) && !counted.has(event) && test(link)) {
      counted.add(event);
      // Prop values are capped at 256 characters by the collector.
      send(name, { url: link.href.slice(0, 256) });
    }
  };
  document.addEventListener('click', onClick, capture);
  document.addEventListener('auxclick', onClick, capture);
}

/** `download` events for clicks on links to files (pdf, xlsx, docx, zip, mp4, …). */
export function fileDownloads(tracker: Tracker): void {
  linkClicks(tracker, 'download', (link) => FILE.test(link.pathname), true);
}

/** `outbound` events for clicks on links to other hosts. */
export function outboundLinks(tracker: Tracker): void {
  linkClicks(tracker, 'outbound', (link) => link.host && link.host !== location.host);
}
