/**
 * The data plane's artifact for spoke stacks (spoke/README.md): `npm run spoke:artifact [-- --package <dir>]
 * [--out <dir>]` takes the `dataPlane.zip` that `serverless package` made (default `.serverless`, where
 * `npm run package` puts it) and copies it to `<out>/<key>` (default out `.serverless/spoke`), the key naming the
 * hub's version: `tidb-privatelink/<package.json version>-<git commit>/dataPlane.zip` (`-dirty` when tracked
 * files differ from the commit). It prints the key and the upload command; spoke stacks take the bucket and
 * the key as DataPlaneCodeBucket and DataPlaneCodeKey. The same zip the hub deploys: one build, one version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ZIP = 'dataPlane.zip';

/** `<version>-<commit>`: package.json's version and the checkout's commit (12 hex digits). */
export function hubVersion(root = ROOT): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short=12', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  return `${version}-${commit}${dirty ? '-dirty' : ''}`;
}

/** Where a version's data plane lives in the artifact bucket. */
export const artifactKey = (version: string) => `tidb-privatelink/${version}/${ZIP}`;

/** Copies the packaged data plane to `<outDir>/<key>`; returns the file and the key. */
export async function stageArtifact(
  packageDir: string,
  outDir: string,
  version: string,
): Promise<{ file: string; key: string }> {
  const source = join(packageDir, ZIP);
  if (!existsSync(source)) {
    throw new Error(`${source} does not exist: run npm run package (serverless package) first`);
  }
  const key = artifactKey(version);
  const file = join(outDir, key);
  await mkdir(dirname(file), { recursive: true });
  await copyFile(source, file);
  return { file, key };
}

const USAGE = 'usage: npm run spoke:artifact [-- --package <serverless package dir>] [--out <dir>]';

function optionsOf(args: string[]): { packageDir: string; outDir: string } {
  const options = { packageDir: join(ROOT, '.serverless'), outDir: join(ROOT, '.serverless', 'spoke') };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined || !['--package', '--out'].includes(flag ?? '')) throw new Error(USAGE);
    if (flag === '--package') options.packageDir = resolve(value);
    else options.outDir = resolve(value);
  }
  return options;
}

async function main(args: string[]): Promise<void> {
  try {
    const { packageDir, outDir } = optionsOf(args);
    const { file, key } = await stageArtifact(packageDir, outDir, hubVersion());
    process.stdout.write(`${file}\nkey: ${key}\nupload: aws s3 cp ${file} s3://<artifact bucket>/${key}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
