/** The catalogue as people read it: the CLI's help line and the table in docs/configuration.md. */
import { SETTINGS, type Setting } from './catalogue.ts';

/** Every variable the CLI reads, in the catalogue's order. */
export const cliVariables = (): string[] => SETTINGS.filter((item) => item.cli).map((item) => item.name);

/** `words` joined by ", " and broken into lines of at most `width` characters, the first after `lead`. */
export function wrapList(lead: string, words: readonly string[], width: number): string {
  const lines: string[] = [];
  let line = lead;
  for (const [index, word] of words.entries()) {
    const piece = `${word}${index === words.length - 1 ? '.' : ','}`;
    if (line.length > 0 && line.length + 1 + piece.length > width && line !== lead) {
      lines.push(line);
      line = piece;
    } else line = line.length > 0 ? `${line} ${piece}` : piece;
  }
  lines.push(line);
  return lines.join('\n');
}

/** The help's configuration paragraph. */
export const cliHelpConfiguration = (): string =>
  wrapList('Configuration (environment, see docs/configuration.md):', cliVariables(), 105);

const code = (text: string) => `\`${text.replaceAll('|', '\\|')}\``;

function readBy(setting: Setting): string {
  const readers = [
    ...(setting.cli ? ['CLI'] : []),
    ...(setting.functions.length > 0 ? [setting.functions.join(', ')] : []),
    ...(setting.deploy === 'deployer' ? ['package'] : []),
    ...(setting.deploy === 'template' ? ['set by the template'] : []),
  ];
  return readers.join('; ');
}

function defaultOf(setting: Setting): string {
  if (setting.default !== undefined) return code(setting.default);
  if (setting.deployDefault !== undefined) return `${code(setting.deployDefault)} at package time`;
  return setting.defaultNote ?? '';
}

function row(setting: Setting): string {
  const cells = [
    code(setting.name),
    setting.meaning.replaceAll('|', '\\|'),
    setting.form ? code(setting.form) : '',
    defaultOf(setting),
    setting.required ?? '',
    readBy(setting),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The Markdown table of every setting. */
export function settingsTable(): string {
  return [
    '| variable | meaning | form | default | required | read by |',
    '| --- | --- | --- | --- | --- | --- |',
    ...SETTINGS.map(row),
  ].join('\n');
}
