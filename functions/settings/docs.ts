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

export const TABLE_BEGIN =
  '<!-- settings:begin (generated from functions/settings/catalogue.ts: npm run docs:settings) -->';
export const TABLE_END = '<!-- settings:end -->';

/**
 * `doc` with the text between the table's markers replaced by the catalogue's table; throws when a marker is
 * missing (the generator never guesses where the table goes).
 */
export function withSettingsTable(doc: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${TABLE_BEGIN} … ${TABLE_END} markers`);
  return `${doc.slice(0, begin + TABLE_BEGIN.length)}\n${settingsTable()}\n${doc.slice(end)}`;
}
