/**
 * Regular expressions for inputs whose exact bounds the OpenAPI document must state: a pattern is
 * the one constraint both the server's validation and a JSON Schema express identically.
 */

const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f';
/** Text without control characters (C0, DEL, C1): PostgreSQL under FerretDB cannot store NUL, and none belongs in a field. */
export const NO_CONTROL_CHARS = new RegExp(`^[^${CONTROL}]*$`);
/** Text with at least one character that is neither a space nor a control character. */
export const NOT_BLANK = new RegExp(`^[^${CONTROL}]*[^ ${CONTROL}][^${CONTROL}]*$`);

/**
 * A listing cursor (`next`, sent back as `after`): the position of the last user of a page, as its
 * sequence number and email, so it continues any sort order. Both parts are exactly what users have.
 */
const SEQ = '(?:0|[1-9][0-9]{0,14})';
export const CURSOR = new RegExp(`^${SEQ}~[a-z0-9._'+@-]{1,254}$`);

/** A user's sequence number as a query value (`?after=41999`): up to 15 digits, no sign, no leading zeros. */
export const SEQ_NUMBER = new RegExp(`^${SEQ}$`);

/** Whole numbers from 1 to `max` in plain decimal (no sign, no leading zeros), exactly. */
export function wholeNumberPattern(max: number): RegExp {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive safe integer');
  const digits = String(max);
  const alternatives: string[] = [];
  // Every number with fewer digits than max.
  if (digits.length > 1) alternatives.push(digits.length === 2 ? '[1-9]' : `[1-9][0-9]{0,${digits.length - 2}}`);
  // Numbers of max's length: a common prefix, then a smaller digit, then anything.
  for (let i = 0; i < digits.length; i++) {
    const low = i === 0 ? 1 : 0;
    const high = Number(digits[i]) - 1;
    if (high < low) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${low}-${high}]${rest ? `[0-9]{${rest}}` : ''}`);
  }
  alternatives.push(digits);
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

const DAYS = {
  long: '(?:0[1-9]|[12][0-9]|3[01])',
  short: '(?:0[1-9]|[12][0-9]|30)',
  feb: '(?:0[1-9]|1[0-9]|2[0-8])',
};
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Calendar dates `YYYY-MM-DD` of the years `from`..`to`, exactly (February 29 in leap years only). */
export function birthDatePattern(from: number, to: number): RegExp {
  const years: number[] = [];
  for (let y = from; y <= to; y++) years.push(y);
  const leap = years.filter(isLeap);
  const monthDay = `(?:(?:0[13578]|1[02])-${DAYS.long}|(?:0[469]|11)-${DAYS.short}|02-${DAYS.feb})`;
  return new RegExp(`^(?:(?:${years.join('|')})-${monthDay}|(?:${leap.join('|')})-02-29)$`);
}
