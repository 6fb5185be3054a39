import type { Faker } from '@faker-js/faker';
import type { Locale } from '@userforge/contracts';
import { createRandom } from './random';

/**
 * Realistic values for one locale, taken from faker's locale data once per process. Compound values
 * faker assembles from patterns (streets, cities, companies, job titles) are pre-generated into
 * fixed pools with a constant seed, so every consumer process holds identical pools and a chunk
 * comes out the same wherever it runs. Per-user picks then cost one PRNG call each instead of a
 * faker pattern expansion, which is what makes 40k+ users/s per core possible.
 */
export interface Vocabulary {
  firstNames: { female: readonly string[]; male: readonly string[] };
  lastNames: readonly string[];
  streets: readonly string[];
  cities: readonly string[];
  countries: readonly string[];
  companies: readonly string[];
  jobTitles: readonly string[];
  phoneFormats: readonly string[];
  emailDomains: readonly string[];
  /** Whether the house number comes before the street name ("12 Main Street") in this locale. */
  numberFirst: boolean;
  /** ASCII slug of each name, for emails and usernames. */
  slug(name: string): string;
}

const POOL = 4096;
const POOL_SEED = 20_240_611;
const cache = new Map<Locale, Vocabulary>();

function names(defs: unknown): string[] {
  if (Array.isArray(defs)) return defs as string[];
  const byKind = defs as { generic?: string[]; female?: string[]; male?: string[] } | undefined;
  return [...(byKind?.generic ?? []), ...(byKind?.female ?? []), ...(byKind?.male ?? [])];
}

function pool(make: () => string): string[] {
  return [...new Set(Array.from({ length: POOL }, make))];
}

function toSlug(name: string): string {
  const ascii = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
  return ascii.length > 0 ? ascii.slice(0, 20) : 'user';
}

/**
 * faker's per-locale entry point (the locale with English fallbacks), not its main entry, which
 * loads all 70 locales (~30 MB per process).
 */
function fakerFor(locale: Locale): Faker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the locale is one of LOCALES
  return (require(`@faker-js/faker/locale/${locale}`) as { faker: Faker }).faker;
}

export function vocabularyFor(locale: Locale): Vocabulary {
  const hit = cache.get(locale);
  if (hit) return hit;
  const faker = fakerFor(locale);
  faker.seed(POOL_SEED);
  const d = faker.definitions;
  const first = d.person.first_name as { female?: string[]; male?: string[]; generic?: string[] };
  const female = first.female ?? first.generic ?? [];
  const male = first.male ?? first.generic ?? [];
  const rnd = createRandom(POOL_SEED);
  const phoneFormats = pool(() => {
    const formats = (d.phone_number.format as { human?: string[] } | string[]);
    return rnd.pick(Array.isArray(formats) ? formats : (formats.human ?? ['###-###-####']));
  });
  const slugs = new Map<string, string>();
  const vocabulary: Vocabulary = {
    firstNames: { female, male },
    lastNames: names(d.person.last_name),
    streets: pool(() => faker.location.street()),
    cities: pool(() => faker.location.city()),
    // English country names everywhere, so statistics group one country under one name.
    countries: [...(fakerFor('en').definitions.location.country as string[])],
    companies: pool(() => faker.company.name()),
    jobTitles: pool(() => faker.person.jobTitle()),
    phoneFormats,
    emailDomains: (d.internet.free_email as string[] | undefined) ?? ['example.com'],
    numberFirst: locale.startsWith('en') || locale === 'fr',
    slug(name) {
      let s = slugs.get(name);
      if (s === undefined) {
        s = toSlug(name);
        slugs.set(name, s);
      }
      return s;
    },
  };
  cache.set(locale, vocabulary);
  return vocabulary;
}
