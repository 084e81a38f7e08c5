/**
 * Text from outside (a cluster's display name, an API's error message) made safe for a terminal: control
 * characters (ANSI escapes, a newline forging a second line) and bidirectional overrides become U+FFFD.
 */
const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\uFFFD');
}
