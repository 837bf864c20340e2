/** The dashboard page's entry: take a token given in the URL, then render the app. */
import { render } from 'preact';
import { App } from './app';
import { takeTokenFromUrl } from './auth';

takeTokenFromUrl();
render(<App />, document.getElementById('app') as HTMLElement);
