export * from './jobs';
export * from './locales';
export * from './messages';
export * from './pagination';
export * from './topics';
export * from './users';
