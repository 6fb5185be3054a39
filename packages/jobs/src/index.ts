export * from './create-job';
export * from './events';
export * from './job-view';
export * from './job.repository';
export * from './plan';
export * from './publish-job';
