export * from './generate-users';
export * from './random';
export * from './user';
export * from './user-id';
export * from './vocabulary';
