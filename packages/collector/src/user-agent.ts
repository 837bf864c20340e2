/** Device, browser and OS from the User-Agent (ua-parser-js 1.0.x, MIT), cached; bots via isbot. */

import { GenerationCache } from '@tidemark/shared';
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';

export interface Agent {
  bot: boolean;
  device: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
}

const HEADLESS = /headless|phantomjs|puppeteer|playwright|selenium|webdriver|electron\/.*\bheadless/i;

export function parseAgent(ua: string): Agent {
  if (!ua || isbot(ua) || HEADLESS.test(ua)) return { bot: true, device: '', browser: '', browserVersion: '', os: '', osVersion: '' };
  const r = new UAParser(ua).getResult();
  return {
    bot: false,
    device: r.device.type === 'mobile' || r.device.type === 'tablet' ? r.device.type : r.device.type ? 'other' : 'desktop',
    browser: r.browser.name ?? '',
    browserVersion: r.browser.major ?? '',
    os: r.os.name ?? '',
    osVersion: r.os.version ?? '',
  };
}

const MAX_CACHED_UA = 512;

export function createAgentCache(max = 10_000): (ua: string) => Agent {
  const cache = new GenerationCache<string, Agent>(max);
  return (ua) => {
    // Real User-Agents are a few hundred characters; longer ones are parsed every time
    // rather than cached, so a flood of huge random ones cannot fill memory.
    if (ua.length > MAX_CACHED_UA) return parseAgent(ua);
    let agent = cache.get(ua);
    if (!agent) {
      agent = parseAgent(ua);
      cache.set(ua, agent);
    }
    return agent;
  };
}
