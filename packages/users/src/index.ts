export * from './generate-users';
export * from './random';
export * from './user';
export * from './user-id';
export * from './vocabulary';
export * from './tally';
export * from './user-tally.repository';
export * from './activity.repository';
