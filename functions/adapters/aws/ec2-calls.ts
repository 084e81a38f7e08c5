/**
 * The two shapes every EC2 call takes: one request, or every page of a paginated one. Both pass the caller's
 * signal and turn whatever the SDK throws into an `AwsError` naming the operation. Retries are the client's
 * job (the SDK's `standard` mode, see `clients.ts`), so nothing here retries by itself.
 */
import type { CallOptions } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';

/** One EC2 request. */
export async function ec2Call<T>(
  operation: string,
  options: CallOptions | undefined,
  call: (abortSignal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  try {
    return await call(options?.signal);
  } catch (error) {
    throw toAwsError(error, operation);
  }
}

/**
 * Every page of a paginated EC2 request (an SDK `paginate…` function), each page's items mapped to the core
 * model and concatenated in order.
 * @example ec2Pages('DescribeSubnets', options, (abortSignal) => paginateDescribeSubnets({ client }, input, { abortSignal }), (page) => (page.Subnets ?? []).map(toSubnet))
 */
export async function ec2Pages<Page, Item>(
  operation: string,
  options: CallOptions | undefined,
  pages: (abortSignal: AbortSignal | undefined) => AsyncIterable<Page>,
  items: (page: Page) => Item[],
): Promise<Item[]> {
  return ec2Call(operation, options, async (abortSignal) => {
    const all: Item[] = [];
    for await (const page of pages(abortSignal)) all.push(...items(page));
    return all;
  });
}
