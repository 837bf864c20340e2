/** What the dashboard-api needs of the UI at run time: where the built files are (the build is `./build`). */
export { DIST, OUTPUTS } from './paths.ts';
