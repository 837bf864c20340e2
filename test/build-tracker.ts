/** Global setup of both test projects: the collector serves `packages/tracker/dist/`, so build it when missing or stale. */
import { ensureBuilt } from '@tidemark/tracker/build';

export default async function setup(): Promise<void> {
  await ensureBuilt();
}
