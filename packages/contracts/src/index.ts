// The zod-free modules first: they are also the browser entry (./browser.ts).
export * from './limits';
export * from './locales';
export * from './object-id';
export * from './types';
export * from './views';
export * from './jobs';
export * from './messages';
export * from './pagination';
export * from './topics';
export * from './users';
export * from './responses';
export * from './patterns';
export * from './user-generation-job';
