import type { ExportFormat, UserView } from '@userforge/contracts';
import { stringify } from 'csv-stringify/sync';

/** `name.first` for `{ name: { first } }`: the dotted path of every leaf of a view. */
type LeafPaths<T> = { [K in keyof T & string]: T[K] extends object ? `${K}.${keyof T[K] & string}` : K }[keyof T & string];

/** The CSV columns: every field of the user view in its order, nested ones flattened as `name.first`. */
export const USER_CSV_COLUMNS = [
  'id',
  'seq',
  'jobId',
  'name.first',
  'name.last',
  'email',
  'username',
  'phone',
  'gender',
  'birthDate',
  'avatar',
  'address.street',
  'address.city',
  'address.country',
  'company',
  'jobTitle',
  'createdAt',
  'updatedAt',
  'lastActive',
] as const satisfies readonly LeafPaths<UserView>[];
// A field added to the view without a column fails to compile here.
const everyFieldHasAColumn: [Exclude<LeafPaths<UserView>, (typeof USER_CSV_COLUMNS)[number]>] extends [never] ? true : never = true;
void everyFieldHasAColumn;

/** A nested object as one level of dotted keys: `{ name: { first: 'Ada' } }` → `{ 'name.first': 'Ada' }`. */
export function flatten(value: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null && typeof field === 'object' && !Array.isArray(field)) Object.assign(out, flatten(field as object, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = field;
  }
  return out;
}

/** A user's CSV row, in column order; null (a user created through the API has no job) is an empty cell. */
export function userCsvRow(user: UserView): (string | number)[] {
  const flat = flatten(user);
  return USER_CSV_COLUMNS.map((column) => (flat[column] ?? '') as string | number);
}

/**
 * RFC 4180: CRLF between records, a field quoted (its quotes doubled) when it holds a comma, a quote
 * or a line break. csv-stringify quotes a bare CR or LF only when asked (`quoted_match`).
 */
const CSV_OPTIONS = { columns: [...USER_CSV_COLUMNS], record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

/** Users a chunk of the encoded export holds: fewer, larger writes than one a user. */
export const USERS_PER_CHUNK = 200;

function encodeBatch(format: ExportFormat, users: UserView[], first: boolean): string {
  if (format === 'csv') return stringify(users.map(userCsvRow), { ...CSV_OPTIONS, header: first });
  let text = '';
  for (const user of users) text += `${JSON.stringify(user)}\n`;
  return text;
}

/**
 * Users as the text of an export, a chunk per `USERS_PER_CHUNK` users: NDJSON, one JSON user view a
 * line; or CSV, a header row then a row a user. Pulls users only as its chunks are read. The CSV
 * header comes with the first users, so a source that fails at once fails the first chunk.
 */
export async function* encodeUsers(format: ExportFormat, users: AsyncIterable<UserView>): AsyncGenerator<string> {
  let batch: UserView[] = [];
  let first = true;
  for await (const user of users) {
    batch.push(user);
    if (batch.length < USERS_PER_CHUNK) continue;
    yield encodeBatch(format, batch, first);
    batch = [];
    first = false;
  }
  if (batch.length > 0 || (first && format === 'csv')) yield encodeBatch(format, batch, first);
}
