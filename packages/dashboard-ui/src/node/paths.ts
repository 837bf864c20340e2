/** Where the built UI is (dist/), and its files: what the dashboard-api serves. */
import { fileURLToPath } from 'node:url';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
export const OUTPUTS = ['app.js', 'app.css', 'index.html', 'world.json'] as const;
