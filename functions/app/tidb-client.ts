import { TidbCloudClient } from '../adapters/tidbcloud/client.ts';
import type { Config } from '../config.ts';

export interface ApiKeyPair {
  publicKey: string;
  privateKey: string;
}

/** The TiDB Cloud client every entry point (Lambda, CLI) builds the same way. */
export function createTidbClient(config: Config, keys: ApiKeyPair): TidbCloudClient {
  return new TidbCloudClient({
    baseUrl: config.tidbCloud.apiUrl,
    ...keys,
    requestsPerMinute: config.tidbCloud.requestsPerMinute,
    userAgent: 'tidb-privatelink',
  });
}
