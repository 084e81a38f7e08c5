import { benchReconcile } from './reconcile.ts';
await benchReconcile([1000]);
