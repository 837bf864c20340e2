/**
 * Goals (SPEC §12): what counts as a conversion on a site. A pageview goal is a path glob
 * (`*` any characters but `/`, `**` any characters, the rest literal, the whole path); an event
 * goal is a custom event name with optional property values (each listed key must hold one of
 * its values). A site without configured goals has one implicit goal per custom event name.
 *
 * An event may complete several goals; `goalsSql` is the array of the goals one event (or one
 * (name, path) pair of a visit) completes, with every name, path and value bound, never in SQL.
 */
import { ValidationError } from '@tidemark/shared';
import type { Params } from './fields.ts';

/** Property values: one (as the sites registry keeps them) or a list of accepted values. */
export type Goal = { name: string; path: string } | { name: string; event: string; props?: Record<string, string | string[]> };

/** The configured goals of a site, or null when it has none (then every custom event name is a goal). */
export type GoalLookup = (site: string) => readonly Goal[] | null;

export const NO_GOALS: GoalLookup = () => null;
export const MAX_GOALS = 100;
const EVENT_NAME = /^[A-Za-z0-9 _.:-]{1,64}$/;

/** The glob of a pageview goal as an anchored RE2 (and JavaScript) pattern. */
export function globPattern(glob: string): string {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else out += /[\\^$.|?+()[\]{}]/.test(c) ? `\\${c}` : c;
  }
  return `${out}$`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A site's `goals` setting → checked goals, or a `ValidationError` pointing into `pointer`. */
export function parseGoals(value: unknown, pointer: string): Goal[] {
  if (!Array.isArray(value) || value.length > MAX_GOALS) throw new ValidationError(`goals: a list of at most ${MAX_GOALS} goals`, pointer);
  const names = new Set<string>();
  return value.map((g, i) => {
    const at = `${pointer}/${i}`;
    if (!isObject(g)) throw new ValidationError('goals: each goal is { path } or { event, props? }, with an optional name', at);
    for (const key of Object.keys(g))
      if (!['name', 'path', 'event', 'props'].includes(key))
        throw new ValidationError(`goals: unknown key ${key.slice(0, 40)}`, `${at}/${key}`);
    let goal: Goal;
    if (typeof g.path === 'string' && g.event === undefined) {
      if (!g.path.startsWith('/') || g.path.length > 2048 || g.props !== undefined)
        throw new ValidationError('goals: path is a glob starting with / (at most 2048 characters), without props', `${at}/path`);
      goal = { name: `Visit ${g.path}`, path: g.path };
    } else if (typeof g.event === 'string' && g.path === undefined) {
      if (!EVENT_NAME.test(g.event) || g.event === 'pageview' || g.event === 'engagement')
        throw new ValidationError('goals: event is a custom event name of 1–64 characters [A-Za-z0-9 _.:-]', `${at}/event`);
      goal = { name: g.event, event: g.event };
      if (g.props !== undefined) goal.props = parseProps(g.props, `${at}/props`);
    } else throw new ValidationError('goals: a goal has either a path or an event', at);
    if (g.name !== undefined) {
      if (typeof g.name !== 'string' || g.name.length === 0 || g.name.length > 120)
        throw new ValidationError('goals: name is a string of 1–120 characters', `${at}/name`);
      goal.name = g.name;
    }
    if (names.has(goal.name)) throw new ValidationError(`goals: two goals are named ${JSON.stringify(goal.name)}`, `${at}/name`);
    names.add(goal.name);
    return goal;
  });
}

function parseProps(value: unknown, pointer: string): Record<string, string[]> {
  if (!isObject(value) || Object.keys(value).length === 0 || Object.keys(value).length > 10)
    throw new ValidationError('goals: props maps 1 to 10 property keys to their accepted values', pointer);
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(value)) {
    const at = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key.length === 0 || key.length > 64) throw new ValidationError('goals: a property key has 1–64 characters', at);
    const list = typeof values === 'string' ? [values] : values;
    if (!Array.isArray(list) || list.length === 0 || list.length > 20 || list.some((v) => typeof v !== 'string' || v.length > 256))
      throw new ValidationError('goals: a property takes a value or a list of 1 to 20 values (strings of at most 256 characters)', at);
    out[key] = list as string[];
  }
  return out;
}

export interface SiteGoals {
  /** Configured goals by site. */
  configured: [string, readonly Goal[]][];
  /** Sites without configured goals (one implicit goal per custom event name). */
  implicit: string[];
}

export function siteGoals(sites: readonly string[], lookup: GoalLookup): SiteGoals {
  const configured: SiteGoals['configured'] = [];
  const implicit: string[] = [];
  for (const site of sites) {
    const goals = lookup(site);
    if (goals && goals.length > 0) configured.push([site, goals]);
    else implicit.push(site);
  }
  return { configured, implicit };
}

export const hasPropGoals = (g: SiteGoals) => g.configured.some(([, list]) => list.some((x) => 'event' in x && x.props));
export const hasPathGoals = (g: SiteGoals) => g.configured.some(([, list]) => list.some((x) => 'path' in x));

/**
 * The goals a row completes, as `Array(String)`: `src` 'e' is an event (or a rollup row),
 * 'p' one (name, path) pair of the visit `v`. Property conditions need raw events (`withProps`).
 */
export function goalsSql(src: 'e' | 'p', goals: SiteGoals, params: Params, withProps: boolean): string {
  const site = src === 'p' ? 'v.site' : 'e.site';
  const items: string[] = [];
  for (const [s, list] of goals.configured) {
    const onSite = `${site} = ${params.add('String', s)}`;
    for (const goal of list) {
      const conditions = [onSite];
      if ('path' in goal)
        conditions.push(`${src}.name = 'pageview'`, `match(${src}.path, ${params.add('String', globPattern(goal.path))})`);
      else {
        conditions.push(`${src}.name = ${params.add('String', goal.event)}`);
        for (const [key, values] of Object.entries(goal.props ?? {})) {
          if (!withProps) throw new Error('property goals need raw events');
          conditions.push(`has(${params.add('Array(String)', [values].flat())}, e.props[${params.add('String', key)}])`);
        }
      }
      items.push(`if(${conditions.join(' AND ')}, ${params.add('String', goal.name)}, '')`);
    }
  }
  if (goals.implicit.length > 0)
    items.push(
      `if(${site} IN ${params.add('Array(String)', goals.implicit)} AND ${src}.name NOT IN ('pageview', 'engagement'), toString(${src}.name), '')`,
    );
  if (items.length === 0) return "CAST([], 'Array(String)')";
  return `arrayFilter(gl -> gl != '', [${items.join(', ')}])`;
}
