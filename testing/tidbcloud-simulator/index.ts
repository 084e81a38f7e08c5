/**
 * TiDB Cloud Dedicated API v1beta1 simulator for tests, the demo and benchmarks.
 * @example
 *   const sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 100 });
 *   const { clusterId, tidbNodeGroupId } = sim.addCluster({ regionId: 'aws-us-east-1' });
 *   const client = new TidbCloudClient({ baseUrl: sim.url, publicKey: sim.publicKey, privateKey: sim.privateKey });
 *   // … sim.faults.rateLimitBurst(3); sim.stats().byOperation.createConnection …
 *   await sim.close();
 */
export type { SimDigestAlgorithm } from './auth.ts';
export { type ManualClock, manualClock } from './clock.ts';
export { type Fault, Faults } from './faults.ts';
export type { SimOperation } from './routes.ts';
export {
  type RecordedRequest,
  Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server.ts';
export {
  type AddClusterInput,
  azIdPrefix,
  newId,
  type SimCluster,
  type SimConnection,
  type SimHooks,
  type SimNodeGroup,
} from './state.ts';
export { DEFINITIONS, type SwaggerValidator, swaggerValidator } from './swagger.ts';
