import { benchTimeouts } from './timeouts.ts';
await benchTimeouts();
