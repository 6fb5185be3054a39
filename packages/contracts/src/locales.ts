/** Locales a job may generate users in (faker locale ids). */
export const LOCALES = ['en', 'en_GB', 'en_US', 'de', 'fr', 'es', 'it', 'nl', 'pt_BR'] as const;
/** The locale of a job that does not say. */
export const DEFAULT_LOCALE = 'en';
export type Locale = (typeof LOCALES)[number];
