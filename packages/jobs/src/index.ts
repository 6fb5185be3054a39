export * from './data/job.repository';
export * from './domain/create-job';
export * from './domain/job-view';
export * from './domain/manage-jobs';
export * from './domain/plan';
export * from './publisher/job-publisher';
export * from './publisher/publish-job';
export * from './publisher/chunk-producer';
