/** Locales a job may generate users in (faker locale ids). */
export const LOCALES = ['en', 'en_GB', 'en_US', 'de', 'fr', 'es', 'it', 'nl', 'pt_BR'] as const;
export type Locale = (typeof LOCALES)[number];
