// First: no code evaluation by zod under the strict CSP (see core's jitless.ts).
import '@accord/core/jitless';
import { mount } from 'svelte';
import App from './App.svelte';
import { theme } from './lib/state/theme.svelte.ts';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

// Before the first render, so no page flashes in the other theme.
theme.start();

export default mount(App, { target });
