import { eventBusCreatedByStack } from '../../remediation.ts';
import type { PreflightCheck } from './types.ts';

/** The bus the app publishes to: `default` always exists; another name is created by the stack if missing. */
export const awsEventBus: PreflightCheck = {
  id: 'aws.event-bus',
  dependsOn: [{ id: 'aws.credentials' }],
  async run({ ports, settings, signal }) {
    const name = settings.eventBus;
    if (name === 'default') {
      return { status: 'pass', summary: "Events go to the account's default bus, which always exists." };
    }
    if (await ports.eventBuses.exists(name, { signal })) {
      return { status: 'pass', summary: `The event bus ${name} exists.` };
    }
    return {
      status: 'warn',
      summary: `The event bus ${name} does not exist yet.`,
      remediation: eventBusCreatedByStack(name),
    };
  },
};
