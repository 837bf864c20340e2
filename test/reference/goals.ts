/**
 * Goals in the reference (SPEC §12): which goals an event or a visit's (name, path) pair
 * completes, written without the engine's glob-to-RE2 translation — a glob is matched by
 * walking it (`*` any run without `/`, `**` any run, the rest literal, the whole path).
 */
import type { Goal, GoalLookup } from '../../packages/dashboard-api/src/v2/goals.ts';

export function globMatches(glob: string, path: string): boolean {
  if (glob === '') return path === '';
  if (glob.startsWith('**')) {
    for (let i = 0; i <= path.length; i++) if (globMatches(glob.slice(2), path.slice(i))) return true;
    return false;
  }
  if (glob[0] === '*') {
    for (let i = 0; i <= path.length; i++) {
      if (globMatches(glob.slice(1), path.slice(i))) return true;
      if (path[i] === '/') return false;
    }
    return false;
  }
  return path[0] === glob[0] && globMatches(glob.slice(1), path.slice(1));
}

export interface GoalEvent {
  site?: string;
  name: string;
  path: string;
  props?: Record<string, string>;
}

function completes(goal: Goal, e: GoalEvent): boolean {
  if ('path' in goal) return e.name === 'pageview' && globMatches(goal.path, e.path);
  if (e.name !== goal.event) return false;
  return Object.entries(goal.props ?? {}).every(([key, values]) => [values].flat().includes(e.props?.[key] ?? ''));
}

/** The names of the goals `e` completes on `site` (configured ones, else its custom event name). */
export function goalsOf(e: GoalEvent, site: string, lookup: GoalLookup): string[] {
  const configured = lookup(site);
  if (!configured || configured.length === 0) return e.name === 'pageview' || e.name === 'engagement' ? [] : [e.name];
  return configured.filter((g) => completes(g, e)).map((g) => g.name);
}
