export * from './topics';
export * from './pagination';
