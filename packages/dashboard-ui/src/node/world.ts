/**
 * The world map asset (`dist/world.json`), made at build time from Natural Earth's 1:110m
 * countries (world-atlas, public domain): `{ version, width, height, countries: { <ISO alpha-2>:
 * <SVG path> } }` in an equirectangular projection, Antarctica left out, one decimal. The
 * browser draws it as SVG paths (no projection code, no TopoJSON decoder in the bundle).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import iso from 'iso-3166-1';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

export const WORLD_VERSION = 1;
const WIDTH = 960;
const HEIGHT = 440; // 84°N … 58°S: Antarctica and the empty far north left out
const TOP = 84;
const BOTTOM = -58;

const x = (lon: number) => Math.round(((lon + 180) / 360) * WIDTH * 10) / 10;
const y = (lat: number) => Math.round(((TOP - lat) / (TOP - BOTTOM)) * HEIGHT * 10) / 10;

function path(points: [number, number][], shift: number): string {
  let d = '';
  let last = '';
  for (const [lon, lat] of points) {
    const p = `${x(lon + shift)} ${Math.min(Math.max(y(lat), 0), HEIGHT)}`;
    if (p === last) continue;
    d += `${d === '' ? 'M' : 'L'}${p}`;
    last = p;
  }
  return `${d}Z`;
}

/**
 * One ring as SVG path commands. A ring that crosses the antimeridian is unwrapped into one
 * continuous outline (longitudes past ±180) and drawn twice, once shifted by 360°: the map's
 * edge (the SVG viewBox) cuts each copy, so no fill or line crosses the whole map.
 */
function ring(coordinates: number[][]): string {
  const points: [number, number][] = [];
  let previous: number | null = null;
  for (const [lon0 = 0, lat = 0] of coordinates) {
    let lon = lon0;
    if (previous !== null) {
      while (lon - previous > 180) lon -= 360;
      while (lon - previous < -180) lon += 360;
    }
    points.push([lon, lat]);
    previous = lon;
  }
  const lons = points.map(([lon]) => lon);
  let d = path(points, 0);
  if (Math.min(...lons) < -180) d += path(points, 360);
  if (Math.max(...lons) > 180) d += path(points, -360);
  return d;
}

export interface WorldMap {
  version: number;
  width: number;
  height: number;
  countries: Record<string, string>;
}

export function worldMap(): WorldMap {
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8')) as Topology;
  const countries = topology.objects.countries as GeometryCollection<{ name: string }>;
  const out: Record<string, string> = {};
  for (const f of feature(topology, countries).features) {
    const code = f.id === undefined ? undefined : iso.whereNumeric(String(f.id).padStart(3, '0'))?.alpha2;
    if (!code || code === 'AQ') continue;
    const g = f.geometry;
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    out[code] = (out[code] ?? '') + polygons.map((rings) => rings.map(ring).join('')).join('');
  }
  return { version: WORLD_VERSION, width: WIDTH, height: HEIGHT, countries: out };
}
