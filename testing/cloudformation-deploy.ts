/**
 * Deploys a `serverless package` output into CloudFormation the way `serverless deploy` does: the core
 * template (the deployment bucket) first, then the function artifacts and the compiled template uploaded to
 * that bucket, then the update template by change set. Used against moto (test/sandbox/deploy.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PackagedStack } from './serverless-package.ts';

export interface DeployClients {
  cloudFormation: CloudFormationClient;
  s3: S3Client;
}

const POLL_MS = 250;
const WAIT_LIMIT_MS = 60_000;

async function waitFor<T>(what: string, poll: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (Date.now() < deadline) {
    const done = await poll();
    if (done !== undefined) return done;
    await new Promise((wake) => setTimeout(wake, POLL_MS));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Waits until the stack leaves its *_IN_PROGRESS state; throws unless it ends in `expected`. */
async function stackSettled(
  clients: Pick<DeployClients, 'cloudFormation'>,
  stackName: string,
  expected: string,
): Promise<Stack> {
  const stack = await waitFor(`${stackName} to settle`, async () => {
    const { Stacks } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const [current] = Stacks ?? [];
    return current?.StackStatus?.endsWith('_IN_PROGRESS') ? undefined : current;
  });
  if (stack.StackStatus !== expected) {
    throw new Error(`${stackName} ended ${stack.StackStatus} (${stack.StackStatusReason ?? 'no reason'})`);
  }
  return stack;
}

interface FunctionCode {
  S3Key: string;
}

/** Every artifact key the update template's functions point at. */
function artifactKeys(template: PackagedStack['template']): string[] {
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => (resource.Properties.Code as FunctionCode).S3Key);
}

/**
 * Runs the three phases and returns the stack as CloudFormation describes it after the update.
 *
 * @example const stack = await deployLikeServerless(clients, await packageStack(), 'tidb-privatelink-dev');
 */
export async function deployLikeServerless(
  clients: DeployClients,
  packaged: PackagedStack,
  stackName: string,
): Promise<Stack> {
  const coreTemplate = await readFile(
    join(packaged.dir, 'cloudformation-template-create-stack.json'),
    'utf8',
  );
  await clients.cloudFormation.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: coreTemplate }),
  );
  const core = await stackSettled(clients, stackName, 'CREATE_COMPLETE');
  const bucket = core.Outputs?.find(
    (output) => output.OutputKey === 'ServerlessDeploymentBucketName',
  )?.OutputValue;
  if (!bucket) throw new Error('the core stack has no ServerlessDeploymentBucketName output');

  const keys = artifactKeys(packaged.template);
  for (const key of keys) {
    const body = await readFile(join(packaged.dir, basename(key)));
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  // The update template is over CloudFormation's 51,200-byte inline limit: it goes by URL, as serverless does.
  const templateKey = `${dirname(keys[0] ?? 'serverless')}/compiled-cloudformation-template.json`;
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: templateKey,
      Body: await readFile(join(packaged.dir, 'cloudformation-template-update-stack.json')),
    }),
  );

  const changeSetName = `${stackName}-change-set`;
  await clients.cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: changeSetName,
      ChangeSetType: 'UPDATE',
      TemplateURL: `https://s3.amazonaws.com/${bucket}/${templateKey}`,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  await waitFor('the change set', async () => {
    const changeSet = await clients.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }),
    );
    if (changeSet.Status === 'FAILED') throw new Error(`change set failed: ${changeSet.StatusReason}`);
    return changeSet.Status === 'CREATE_COMPLETE' ? changeSet : undefined;
  });
  await clients.cloudFormation.send(
    new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }),
  );
  return stackSettled(clients, stackName, 'UPDATE_COMPLETE');
}

/**
 * Creates a stack from a template as it is (YAML or JSON, under CloudFormation's 51,200-byte inline limit)
 * with these parameters, as `aws cloudformation deploy` does for a new stack; returns it once created.
 *
 * @example await deployTemplate(clients, 'spoke', await readFile('spoke/template.yml', 'utf8'), { VpcId })
 */
export async function deployTemplate(
  clients: Pick<DeployClients, 'cloudFormation'>,
  stackName: string,
  templateBody: string,
  parameters: Record<string, string>,
): Promise<Stack> {
  await clients.cloudFormation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: templateBody,
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  return stackSettled(clients, stackName, 'CREATE_COMPLETE');
}

/**
 * `serverless remove`: empties the deployment bucket (CloudFormation cannot delete a bucket with objects),
 * then deletes the stack and waits until it is gone.
 */
export async function removeLikeServerless(clients: DeployClients, stackName: string): Promise<void> {
  const { Stacks: [stack] = [] } = await clients.cloudFormation.send(
    new DescribeStacksCommand({ StackName: stackName }),
  );
  const bucket = stack?.Outputs?.find(
    (output) => output.OutputKey === 'ServerlessDeploymentBucketName',
  )?.OutputValue;
  if (bucket) {
    const { Contents = [] } = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (Contents.length > 0) {
      await clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: Contents.map(({ Key }) => ({ Key })) },
        }),
      );
    }
  }
  await clients.cloudFormation.send(new DeleteStackCommand({ StackName: stackName }));
  await waitFor(`${stackName} to be deleted`, async () => {
    try {
      const { Stacks: [current] = [] } = await clients.cloudFormation.send(
        new DescribeStacksCommand({ StackName: stackName }),
      );
      return current === undefined || current.StackStatus === 'DELETE_COMPLETE' ? true : undefined;
    } catch (error) {
      // A deleted stack's name no longer resolves: "Stack with id … does not exist".
      if (error instanceof Error && /does not exist/.test(error.message)) return true;
      throw error;
    }
  });
}
